/**
 * Starting the programs berthd runs on every container operation (the runtime's start, kill,
 * delete, state and exec; conmon) through posix_spawn instead of Node's spawn. libuv
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
import type { Readable, Writable } from 'node:stream';
import { type ChildFd, closeFd, pipe, posixSpawn, reapChild, type WaitStatus } from './libc.js';

export type { WaitStatus } from './libc.js';

export interface ChildOptions {
  /**
   * The child's descriptors 0..n: 'null' for /dev/null, 'pipe' for a pipe: the child's
   * input for descriptor 0, which we write, and its output for the others, which we read.
   */
  stdio: ('null' | 'pipe')[];
  env?: NodeJS.ProcessEnv;
  /** The program to start, when it is not argv[0] (a sealed copy run under its usual name). */
  file?: string;
  /** The child's working directory; berthd's own when not given. */
  cwd?: string;
  /** Runs the child in a session of its own, as Node's `detached` does. */
  newSession?: boolean;
}

export interface SpawnedChild {
  pid: number;
  /** Our read end of each output pipe, by the child's descriptor number. */
  pipes: Map<number, Readable>;
  /** Our write end of the child's input, when descriptor 0 is a pipe. */
  input?: Writable;
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

/** Starts `argv` (`file` or argv[0], looked up in PATH); throws when it cannot be run (ENOENT, EACCES). */
export function spawnChild(argv: string[], options: ChildOptions): SpawnedChild {
  if (!listening) {
    // Before the first child, so that no child's end goes by unheard.
    process.on('SIGCHLD', reapEnded);
    listening = true;
  }
  /** Our ends, by the child's descriptor number; the child's ends are closed here once it has them. */
  const ours = new Map<number, number>();
  const theirs: number[] = [];
  let pid: number;
  try {
    const fds: ChildFd[] = options.stdio.map((kind, fd) => {
      if (kind === 'null') return fd === 0 ? 'null-read' : 'null-write';
      const [read, write] = pipe();
      const [mine, child] = fd === 0 ? [write, read] : [read, write];
      ours.set(fd, mine);
      theirs.push(child);
      return child;
    });
    pid = posixSpawn(options.file ?? argv[0]!, argv, environment(options.env ?? process.env), fds, options.newSession ?? false, options.cwd);
  } catch (error) {
    for (const fd of ours.values()) closeFd(fd);
    throw error;
  } finally {
    for (const fd of theirs) closeFd(fd);
  }
  const exited = new Promise<WaitStatus>((resolve) => awaited.set(pid, resolve));
  keepAlive ??= setInterval(reapEnded, 1000);
  const pipes = new Map<number, Readable>();
  let input: Writable | undefined;
  for (const [fd, end] of ours) {
    if (fd === 0) input = new Socket({ fd: end, readable: false, writable: true });
    else pipes.set(fd, new Socket({ fd: end, readable: true, writable: false }));
  }
  return { pid, pipes, ...(input ? { input } : {}), exited };
}
