import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError, errnoCode, internal } from '../common/errors.js';
import { spawnChild } from '../sys/spawn-child.js';
import type { OciRuntime } from './oci-runtime.js';

export const CONMON_PATH = '/usr/bin/conmon';

export interface ConmonCreateOptions {
  runtime: OciRuntime;
  containerId: string;
  /** conmon's id for this session: the container id, or an exec id. */
  sessionId: string;
  bundle: string;
  pidFile: string;
  conmonPidFile: string;
  exitDir: string;
  logPath: string;
  socketDir: string;
  persistDir: string;
  stdin: boolean;
  /** Keep the container's stdin open when an attached client's stdin ends (docker's StdinOnce false). */
  leaveStdinOpen?: boolean;
  terminal: boolean;
  /** Exec a process into a running container instead of creating one. */
  exec?: { processSpec: string };
}

interface SyncMessage {
  data: number;
  message?: string;
}

/**
 * Starts conmon, which runs `<runtime> create` (or exec) under itself, then
 * daemonizes so the container outlives berthd. conmon reports through its sync
 * pipe (fd 3): first the container's pid or -1 with the runtime's error.
 * Resolves with the pid once the runtime has finished creating.
 */
export async function conmonCreate(options: ConmonCreateOptions): Promise<number> {
  const args = [
    '--api-version', '1',
    '-c', options.containerId,
    '-u', options.sessionId,
    '-n', options.sessionId,
    '-r', await options.runtime.executable(),
    ...options.runtime.globalArgs().flatMap((arg) => ['--runtime-arg', arg]),
    '-b', options.bundle,
    '-p', options.pidFile,
    '-P', options.conmonPidFile,
    '--exit-dir', options.exitDir,
    '-l', `k8s-file:${options.logPath}`,
    '--socket-dir-path', options.socketDir,
    '-0', options.persistDir,
    ...(options.stdin ? ['-i'] : []),
    ...(options.stdin && options.leaveStdinOpen ? ['--leave-stdin-open'] : []),
    ...(options.terminal ? ['-t'] : []),
    ...(options.exec ? ['-e', '--exec-process-spec', options.exec.processSpec] : []),
  ];
  return new Promise((resolve, reject) => {
    let child;
    try {
      // conmon runs at every start: posix_spawn spares berthd a fork (see spawn-child.ts).
      child = spawnChild([CONMON_PATH, ...args], {
        stdio: ['null', 'null', 'pipe', 'pipe'],
        env: { _OCI_SYNCPIPE: '3', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        // conmon marks an OOM kill with a file named `oom` in its working directory too (besides
        // the persist dir we read): in berthd's, that would litter wherever berthd was started.
        cwd: options.bundle,
        newSession: true,
      });
    } catch (error) {
      reject(internal(`cannot start conmon: ${(error as Error).message}`, error));
      return;
    }
    const stderrPipe = child.pipes.get(2)!;
    const syncPipe = child.pipes.get(3)!;
    let stderr = '';
    let sync = '';
    let settled = false;
    const finish = (error: Error | undefined, pid?: number): void => {
      if (settled) return;
      settled = true;
      // The sync pipe stays open for the session's life; we only needed its first message.
      syncPipe.destroy();
      stderrPipe.destroy();
      if (error) reject(error);
      else resolve(pid!);
    };
    stderrPipe.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    syncPipe.on('data', (chunk: Buffer) => {
      sync += chunk.toString();
      const newline = sync.indexOf('\n');
      if (newline < 0) return;
      let message: SyncMessage;
      try {
        message = JSON.parse(sync.slice(0, newline)) as SyncMessage;
      } catch {
        finish(internal(`conmon sent an unreadable message: ${sync.slice(0, newline)}`));
        return;
      }
      if (message.data > 0) finish(undefined, message.data);
      else finish(runtimeCreateError(message.message ?? stderr));
    });
    syncPipe.on('end', () => {
      setTimeout(() => finish(internal(`conmon exited before the container was created: ${stderr.trim() || 'no message'}`)), 20);
    });
  });
}

/**
 * Turns the runtime's create failure into docker's error: the message docker
 * prints and the exit code `run` ends with (127 not found, 126 not executable).
 */
export function runtimeCreateError(raw: string): BerthError {
  const message = dockerWording(raw.trim().replace(/^(crun|runc): /, ''));
  const exitCode = runtimeFailureExitCode(message) ?? 125;
  return new BerthError('internal', `failed to create task for container: OCI runtime create failed: ${message}: unknown`, { exitCode });
}

/**
 * docker's exit code for a runtime that could not start a process (create or exec):
 * 127 when the program is missing, 126 when it cannot be executed, else undefined.
 */
export function runtimeFailureExitCode(message: string): 126 | 127 | undefined {
  const text = dockerWording(message);
  if (/executable file not found|No such file or directory|ENOENT/i.test(text)) return 127;
  if (/permission denied|EACCES|is a directory|EISDIR/i.test(text)) return 126;
  return undefined;
}

/**
 * Resizes the pty conmon holds for a session (container or exec), through the
 * `ctl` fifo in the session's directory: `1 <height> <width>`. Opened non-blocking,
 * so a fifo whose reader (conmon) is gone fails instead of hanging; that, or no
 * fifo at all, means there is no terminal left to resize.
 */
export async function resizeTerminal(sessionDir: string, height: number, width: number): Promise<void> {
  let handle;
  try {
    handle = await open(join(sessionDir, 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENXIO' || errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    await handle.write(`1 ${height} ${width}\n`);
  } finally {
    await handle.close();
  }
}

const ERRNO_TEXT: [RegExp, string][] = [
  [/No such file or directory/g, 'no such file or directory'],
  [/Permission denied/g, 'permission denied'],
  [/Is a directory/g, 'is a directory'],
];

/**
 * crun words exec failures its own way (`executable file \`x\` not found in $PATH:
 * No such file or directory`); clients such as the docker CLI pick the exit code
 * (127/126) from runc's wording, so say it as runc and Go do.
 */
export function dockerWording(message: string): string {
  let text = message.replace(/executable file `([^`]*)` not found in \$PATH(: No such file or directory)?/, 'exec: "$1": executable file not found in $PATH');
  for (const [pattern, replacement] of ERRNO_TEXT) text = text.replace(pattern, replacement);
  return text;
}
