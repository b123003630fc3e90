/**
 * The V8 flags berth's CLI runs with: its launcher's #! line passes them (write-launchers.ts),
 * and so do the tests. Node 24 can deadlock at exit when a background Maglev or Sparkplug
 * compile job waits for a garbage collection that the exiting main thread will never run
 * (nodejs/node#54918, still open): the command has done its work and then hangs, which was
 * seen here twice in a few hundred `berth load`/`pull` runs. Without background compile jobs
 * there is nothing to wait for, and a command this short loses nothing measurable by
 * compiling on its main thread (`logs` of 1,000,000 lines took the same time either way).
 *
 * Maglev itself stays on: with concurrent recompilation off it compiles on the main thread
 * (V8 starts its concurrent dispatcher only under --concurrent-recompilation). `--no-maglev`
 * would also change V8's flag hash, so Node's built-in modules would no longer match the code
 * cache compiled into the binary and be compiled from source at every start: 12-19 ms per
 * command here (child_process, which commander loads, took 52 ms to require instead of 40).
 */
export const CLI_NODE_FLAGS = ['--no-concurrent-sparkplug', '--no-concurrent-recompilation'];
