/**
 * The V8 flags berth's CLI runs with: its launcher's #! line passes them (write-launchers.ts),
 * and so do the tests. Node 24 can deadlock at exit when a background Maglev or Sparkplug
 * compile job waits for a garbage collection that the exiting main thread will never run
 * (nodejs/node#54918, still open): the command has done its work and then hangs, which was
 * seen here twice in a few hundred `berth load`/`pull` runs. Without background compile jobs
 * there is nothing to wait for, and a command this short loses nothing measurable by
 * compiling on its main thread (`logs` of 1,000,000 lines took the same time either way).
 */
export const CLI_NODE_FLAGS = ['--no-maglev', '--no-concurrent-sparkplug', '--no-concurrent-recompilation'];
