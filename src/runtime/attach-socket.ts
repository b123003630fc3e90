import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

export const SOCAT_PATH = '/usr/bin/socat';

/**
 * conmon takes a container's stdin through its attach socket, a SOCK_SEQPACKET
 * unix socket that Node cannot open (net.connect gives EPROTOTYPE). socat bridges
 * it: what we write to its stdin becomes packets on the socket, and when we end
 * its stdin socat shuts down the socket's write side. conmon then closes the
 * container's stdin unless it runs with --leave-stdin-open (see conmon.ts), so
 * `echo data | run -i cat` ends. Output is read from the log file instead, where
 * conmon keeps the stdout/stderr distinction that a byte pipe from socat would lose.
 */
export interface StdinBridge {
  stdin: Writable;
  child: ChildProcess;
  /** Settles when socat has exited: after the end of its input, everything written has been handed to conmon. */
  exited: Promise<void>;
  close(): void;
}

/**
 * `holdAfterInputEnd`: keep the socket open after the end of our input until conmon
 * closes it (the container's stdin closes with it); otherwise socat leaves as soon
 * as it has passed everything on.
 */
export function openStdinBridge(sessionDir: string, options: { holdAfterInputEnd: boolean }): StdinBridge {
  // The socket is named relative to its directory: a unix socket path is limited
  // to 107 bytes, which a data root plus a 64-character id can exceed.
  const child = spawn(SOCAT_PATH, ['-t', options.holdAfterInputEnd ? '86400' : '0.1', 'STDIO', 'UNIX-CONNECT:attach,type=5'], {
    cwd: sessionDir,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => console.error(`berthd: stdin bridge in ${sessionDir}: ${chunk.toString().trim()}`));
  child.stdin!.on('error', () => {});
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    stdin: child.stdin!,
    child,
    exited,
    close: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
