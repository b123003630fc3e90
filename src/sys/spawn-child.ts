/**
 * Starting the short-lived programs berthd runs on every container operation (the runtime's
 * start, kill, delete and state; conmon) through posix_spawn instead of Node's spawn. libuv
 * forks berthd for each child: copying the page tables of a ~90 MB process, then taking
 * copy-on-write faults on them, cost ~2.5 ms of the event loop per child here (6.2 ms per
 * `crun --version` through Node's spawn against 3.8 ms through posix_spawn, which uses
 * vfork). A container's start runs two children, its removal two more.
 *
 * The children are reaped on SIGCHLD with waitpid(WNOHANG). libuv reaps only the children it
 * started, so it never takes these. While any is awaited, an interval keeps the event loop
 * alive (a signal listener does not) and reaps again once a second, in case a signal was
 * merged with another.
 */
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { type ChildFd, closeFd, pipe, posixSpawn, reapChild, type WaitStatus } from './libc.js';

export type { WaitStatus } from './libc.js';

export interface ChildOptions {
  /**
   * The child's descriptors 0..n: 'null' for /dev/null, 'pipe' for a pipe the child writes
   * and we read. Children that read our data are left to Node's spawn.
   */
  stdio: ('null' | 'pipe')[];
  env?: NodeJS.ProcessEnv;
  /** Runs the child in a session of its own, as Node's `detached` does. */
  newSession?: boolean;
}

export interface SpawnedChild {
  pid: number;
  /** Our read end of each pipe, by the child's descriptor number. */
  pipes: Map<number, Readable>;
  exited: Promise<WaitStatus>;
}

const awaited = new Map<number, (status: WaitStatus) => void>();
let keepAlive: NodeJS.Timeout | undefined;
let listening = false;

function reapEnded(): void {
  for (const [pid, settle] of awaited) {
    const status = reapChild(pid);
    if (status === undefined) continue;
    awaited.delete(pid);
    settle(status);
  }
  if (awaited.size === 0 && keepAlive !== undefined) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

function environment(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`]));
}

/** Starts `argv` (argv[0] looked up in PATH); throws when it cannot be run (ENOENT, EACCES). */
export function spawnChild(argv: string[], options: ChildOptions): SpawnedChild {
  if (!listening) {
    // Before the first child, so that no child's end goes by unheard.
    process.on('SIGCHLD', reapEnded);
    listening = true;
  }
  const readEnds = new Map<number, number>();
  const writeEnds: number[] = [];
  let pid: number;
  try {
    const fds: ChildFd[] = options.stdio.map((kind, fd) => {
      if (kind === 'null') return fd === 0 ? 'null-read' : 'null-write';
      const [read, write] = pipe();
      readEnds.set(fd, read);
      writeEnds.push(write);
      return write;
    });
    pid = posixSpawn(argv, environment(options.env ?? process.env), fds, options.newSession ?? false);
  } catch (error) {
    for (const fd of readEnds.values()) closeFd(fd);
    throw error;
  } finally {
    for (const fd of writeEnds) closeFd(fd);
  }
  const exited = new Promise<WaitStatus>((resolve) => awaited.set(pid, resolve));
  keepAlive ??= setInterval(reapEnded, 1000);
  const pipes = new Map<number, Readable>();
  for (const [fd, read] of readEnds) pipes.set(fd, new Socket({ fd: read, readable: true, writable: false }));
  return { pid, pipes, exited };
}
