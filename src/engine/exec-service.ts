import { randomBytes } from 'node:crypto';
import { watch as fsWatch } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { conflict, invalidArgument, notFound } from '../common/errors.js';
import { pathExists } from '../common/path-exists.js';
import { openStdinBridge } from '../runtime/attach-socket.js';
import { conmonCreate, resizeTerminal, runtimeFailureExitCode } from '../runtime/conmon.js';
import { consoleSize } from '../runtime/oci-spec.js';
import { readLogLines } from '../runtime/container-log.js';
import type { ContainerPaths } from './container-paths.js';
import type { ContainerService } from './container-service.js';
import { containerEnv } from './container-spec.js';
import { emptyOutput, selectOutput } from './log-output.js';
import { mergeEnv } from './create-config.js';
import { parseSecurityOpts } from './security-opts.js';
import { type SpawnedChild, spawnChild } from '../sys/spawn-child.js';
import { resolveUser } from './user.js';
import type { ExecApi, ExecCreateRequest, ExecSession, OutputChunk } from './types.js';

interface ExecRecord {
  ID: string;
  ContainerID: string;
  request: ExecCreateRequest;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  started: boolean;
}

/**
 * `docker exec`. Without a tty the runtime's `exec` runs as berthd's child with
 * plain pipes: the fastest path (no monitor). With a tty the runtime must hand the
 * pty master over a console socket (SCM_RIGHTS, which Node cannot receive), so
 * conmon runs the exec and holds the pty, as it does for containers.
 */
export class ExecService implements ExecApi {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(
    private readonly containers: ContainerService,
    private readonly paths: ContainerPaths,
  ) {}

  async create(containerRef: string, request: ExecCreateRequest): Promise<{ Id: string }> {
    const { record } = this.containers.runningContainer(containerRef);
    if (!Array.isArray(request.Cmd) || request.Cmd.length === 0) throw invalidArgument('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { ID: id, ContainerID: record.Id, request, Running: false, ExitCode: null, Pid: 0, started: false });
    this.containers.publish(`exec_create: ${request.Cmd.join(' ')}`, record, { execID: id });
    return { Id: id };
  }

  private find(id: string): ExecRecord {
    const exec = this.execs.get(id);
    if (!exec) throw notFound(`No such exec instance: ${id}`);
    return exec;
  }

  /**
   * A healthcheck probe: `command` runs as an exec (with docker's exec events), its output
   * kept up to `outputLimit` bytes. Past `timeoutMs` its process is killed and the probe
   * reports exit code -1, as dockerd's does. The exec is forgotten afterwards: probes run
   * every few seconds for the container's life.
   */
  async probe(containerId: string, command: string[], timeoutMs: number, outputLimit: number): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
    const { Id } = await this.create(containerId, { Cmd: command, AttachStdout: true, AttachStderr: true });
    try {
      const pidFile = join(this.paths.execDir(Id), 'pid');
      const session = await this.start(Id, { detach: false, tty: false }, pidFile);
      const kept: Buffer[] = [];
      let size = 0;
      const finished = (async () => {
        for await (const chunks of session.output) {
          for (const { data } of chunks) {
            if (size < outputLimit) kept.push(data.subarray(0, outputLimit - size));
            size += data.length;
          }
        }
        return session.exitCode;
      })();
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      // A process the probe left behind may hold its output open after the kill: a second later the probe ends anyway.
      const deadline = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          void readFile(pidFile, 'utf8').then((pid) => process.kill(Number(pid), 'SIGKILL')).catch(() => {});
          timer = setTimeout(() => resolve(-1), 1000);
        }, timeoutMs);
      });
      try {
        const exitCode = await Promise.race([finished.catch(() => -1), deadline]);
        return { exitCode: timedOut ? -1 : exitCode, output: Buffer.concat(kept).toString(), timedOut };
      } finally {
        clearTimeout(timer);
        session.close();
      }
    } finally {
      this.execs.delete(Id);
    }
  }

  async start(execId: string, options: { detach: boolean; tty?: boolean }, pidFile?: string): Promise<ExecSession> {
    const exec = this.find(execId);
    if (exec.started) throw conflict(`Error: Exec command ${execId} has already run`);
    const { record, runtime } = this.containers.runningContainer(exec.ContainerID);
    exec.started = true;
    const request = exec.request;
    const tty = options.tty ?? request.Tty ?? false;
    const rootfs = `${this.paths.dir(record.Id)}/rootfs/merged`;
    const dir = this.paths.execDir(execId);
    const processFile = join(dir, 'process.json');
    const [user, invocation] = await Promise.all([resolveUser(rootfs, request.User || record.Config.User), runtime.execInvocation(record.Id, processFile, pidFile), mkdir(dir, { recursive: true })]).catch(async (error: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw error;
    });
    const caps = this.containers.capabilitiesOf(record.HostConfig, request.Privileged ?? false);
    const size = tty ? consoleSize(request.ConsoleSize) : undefined;
    const processSpec = {
      terminal: tty,
      ...(size ? { consoleSize: size } : {}),
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: request.Cmd,
      env: mergeEnv(containerEnv(record, user.home), request.Env ?? []),
      cwd: request.WorkingDir || record.Config.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // The container's seccomp filter is not set here: the runtime applies the container's own to every exec.
      noNewPrivileges: parseSecurityOpts(record.HostConfig.SecurityOpt).noNewPrivileges,
    };
    await writeFile(processFile, JSON.stringify(processSpec), { mode: 0o600 });
    exec.Running = true;
    this.containers.publish(`exec_start: ${request.Cmd.join(' ')}`, record, { execID: execId });

    const finish = (code: number): number => {
      exec.Running = false;
      exec.ExitCode = code;
      this.containers.publish('exec_die', record, { execID: execId, exitCode: String(code) });
      void rm(dir, { recursive: true, force: true });
      return code;
    };

    if (tty) return this.startWithTerminal(exec, { runtime, record, dir, processFile, detach: options.detach, finish });

    const stdinWanted = (request.AttachStdin ?? false) && !options.detach;
    const piped = !options.detach;
    let child: SpawnedChild;
    try {
      child = spawnChild(invocation.argv, {
        file: invocation.file,
        stdio: [stdinWanted ? 'pipe' : 'null', piped ? 'pipe' : 'null', piped ? 'pipe' : 'null'],
        newSession: options.detach,
      });
    } catch {
      return { tty: false, output: emptyOutput(), exitCode: Promise.resolve(finish(126)), close: () => {} };
    }
    exec.Pid = child.pid;
    const stdout = child.pipes.get(1);
    const stderr = child.pipes.get(2);
    // The runtime's own failure to exec (exit 255) is told apart by its message, as docker maps it.
    let runtimeMessage = '';
    stderr?.on('data', (chunk: Buffer) => {
      if (runtimeMessage.length < 4096) runtimeMessage += chunk.toString();
    });
    const outputsClosed = [stdout, stderr].map((stream) => stream && new Promise((resolve) => stream.once('close', resolve)));
    const exitCode = Promise.all([child.exited, ...outputsClosed]).then(([status]) => {
      if (status.code === 255) {
        const failure = runtimeFailureExitCode(runtimeMessage);
        if (failure !== undefined) return finish(failure);
      }
      return finish(status.code !== undefined ? status.code : 128 + status.signal);
    });
    if (!stdout || !stderr) return { tty: false, output: emptyOutput(), exitCode, close: () => {} };
    const stdin = child.input;
    stdin?.on('error', () => {});
    return {
      tty: false,
      detachKeys: request.DetachKeys,
      ...(stdin ? { stdin } : {}),
      output: untilExit(mergeStreams([
        { stream: 'stdout', source: stdout },
        { stream: 'stderr', source: stderr },
      ]), exitCode),
      exitCode,
      close: () => {
        stdin?.destroy();
      },
    };
  }

  private async startWithTerminal(
    exec: ExecRecord,
    context: {
      runtime: import('../runtime/oci-runtime.js').OciRuntime;
      record: import('./container-record.js').ContainerRecord;
      dir: string;
      processFile: string;
      detach: boolean;
      finish: (code: number) => number;
    },
  ): Promise<ExecSession> {
    const { dir } = context;
    // conmon names the exit file after the container (-c), so each exec has its own exit dir;
    // only conmon sessions need one (a direct exec's status is its child's).
    const exitsDir = join(dir, 'exits');
    await mkdir(exitsDir);
    const logPath = join(dir, 'exec.log');
    const abort = new AbortController();
    const exitFile = join(exitsDir, context.record.Id);
    const exited = waitForFile(exitsDir, context.record.Id, abort.signal).then(async () => Number((await readFile(exitFile, 'utf8')).trim()));
    exec.Pid = await conmonCreate({
      runtime: context.runtime,
      containerId: context.record.Id,
      sessionId: exec.ID,
      bundle: dir,
      pidFile: join(dir, 'pid'),
      conmonPidFile: join(dir, 'conmon.pid'),
      exitDir: exitsDir,
      logPath,
      socketDir: this.paths.socketDir(),
      persistDir: dir,
      stdin: true,
      // A tty's stdin is never closed by a client's end of input (dockerd's rule): only its session ends.
      leaveStdinOpen: true,
      terminal: true,
      exec: { processSpec: context.processFile },
    });
    // The exec starts at once; stdin written before the bridge connects waits in the PassThrough.
    const bridge = openStdinBridge(dir, { holdAfterInputEnd: false });
    const stdin = new PassThrough();
    stdin.pipe(bridge.stdin);
    const exitCode = exited.then((code) => {
      bridge.close();
      return context.finish(Number.isNaN(code) ? 126 : code);
    });
    const finished = exitCode.then(() => {});
    return {
      tty: true,
      detachKeys: exec.request.DetachKeys,
      finishInput: async () => {
        stdin.end();
        await bridge.exited;
      },
      ...(context.detach ? {} : { stdin }),
      output: context.detach ? emptyOutput() : selectOutput(readLogLines(logPath, { follow: true, finished, signal: abort.signal }), { stdout: true, stderr: true, timestamps: false }),
      exitCode,
      close: () => {
        if (!context.detach) abort.abort();
      },
    };
  }

  async resize(execId: string, height: number, width: number): Promise<void> {
    const exec = this.find(execId);
    if (!exec.Running || !(exec.request.Tty ?? false)) return;
    await resizeTerminal(this.paths.execDir(execId), height, width);
  }


  async inspect(execId: string): Promise<object> {
    const exec = this.find(execId);
    const [entrypoint, ...args] = exec.request.Cmd;
    return {
      ID: exec.ID,
      Running: exec.Running,
      ExitCode: exec.ExitCode,
      ProcessConfig: { tty: exec.request.Tty ?? false, entrypoint, arguments: args, privileged: exec.request.Privileged ?? false, user: exec.request.User ?? '' },
      OpenStdin: exec.request.AttachStdin ?? false,
      OpenStderr: exec.request.AttachStderr ?? false,
      OpenStdout: exec.request.AttachStdout ?? false,
      CanRemove: false,
      ContainerID: exec.ContainerID,
      DetachKeys: exec.request.DetachKeys ?? '',
      Pid: exec.Pid,
    };
  }
}

/** Ends the output only once the exit code is known, so a client that inspects the exec next sees it. */
async function* untilExit(output: AsyncIterable<OutputChunk[]>, exitCode: Promise<number>): AsyncGenerator<OutputChunk[]> {
  yield* output;
  await exitCode;
}

/** Interleaves a process's stdout and stderr pipes as they produce data. */
async function* mergeStreams(sources: { stream: 'stdout' | 'stderr'; source: Readable }[]): AsyncGenerator<OutputChunk[]> {
  let pending: OutputChunk[] = [];
  let open = sources.length;
  let wake: (() => void) | undefined;
  for (const { stream, source } of sources) {
    source.on('data', (data: Buffer) => {
      pending.push({ stream, data });
      wake?.();
    });
    source.on('close', () => {
      open--;
      wake?.();
    });
  }
  while (open > 0 || pending.length) {
    if (!pending.length) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    const batch = pending;
    pending = [];
    yield batch;
  }
}

/** Resolves once `name` exists in `dir`; the watch starts before the first look so no creation is missed. */
function waitForFile(dir: string, name: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = fsWatch(dir, (_event, filename) => {
      if (filename === name) done();
    });
    const done = (): void => {
      watcher.close();
      resolve();
    };
    signal.addEventListener('abort', () => {
      watcher.close();
      reject(new Error('aborted'));
    }, { once: true });
    void pathExists(join(dir, name)).then((exists) => {
      if (exists) done();
    });
  });
}
