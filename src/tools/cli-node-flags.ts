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
 *
 * `--min-semi-space-size=16` (MB) starts the young generation large enough for a command's
 * start: with V8's 1 MB default, loading commander, the command's modules and node:http made
 * two scavenges per command (~1.6 ms, 2-2.5 ms of an `exec` or `ps`, measured alternating);
 * untouched pages are never resident, so the command's RSS does not grow. It leaves V8's
 * flag hash alone, which the launcher test checks.
 */
export const CLI_NODE_FLAGS = ['--no-concurrent-sparkplug', '--no-concurrent-recompilation', '--min-semi-space-size=16'];
