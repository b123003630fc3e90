import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CLI_NODE_FLAGS } from '../../src/tools/cli-node-flags.js';

/** The repository root (tests run from dist/test/...). */
export const REPO = resolve(import.meta.dirname, '../../..');
const DIST = join(REPO, 'dist/src');
const NODE = process.execPath;
/** The berth CLI as its installed launcher runs it: this Node with the CLI's V8 flags. */
export const BERTH_CLI = [NODE, ...CLI_NODE_FLAGS, join(DIST, 'cli/main.js')];

export const isRoot = process.getuid?.() === 0;
export const hasDockerCli = spawnSync('docker', ['--version']).status === 0;

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

function result(run: SpawnSyncReturns<string>): CommandResult {
  return { status: run.status ?? (run.signal ? 128 : 1), stdout: run.stdout, stderr: run.stderr };
}

/**
 * A berthd of a test's own: temporary data root, exec root and socket, with
 * busybox:latest seeded offline. `stop()` removes every container, stops the
 * daemon and removes everything it made, mounts included, even after failures.
 */
export class TestDaemon {
  readonly dir: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly host: string;
  private process: ChildProcess | undefined;
  log = '';

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'berth-test-'));
    this.dataRoot = join(this.dir, 'data');
    this.execRoot = join(this.dir, 'run');
    this.socket = join(this.dir, 'berth.sock');
    this.host = `unix://${this.socket}`;
  }

  static async start(options: { extraArgs?: string[]; seed?: boolean } = {}): Promise<TestDaemon> {
    const daemon = new TestDaemon();
    try {
      if (options.seed !== false) daemon.seedBusybox();
      await daemon.launch(options.extraArgs ?? []);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  seedBusybox(): void {
    const seeded = spawnSync(NODE, [
      join(DIST, 'tools/seed-image.js'), '--if-missing', this.dataRoot, 'busybox:latest', join(REPO, 'scripts/busybox-rootfs.sh'),
      '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'CMD ["sh"]',
    ], { encoding: 'utf8' });
    if (seeded.status !== 0) throw new Error(`seeding busybox failed: ${seeded.stderr}`);
  }

  async launch(extraArgs: string[] = []): Promise<void> {
    const configFile = join(this.dir, 'daemon.json');
    writeFileSync(configFile, '{}\n');
    const child = spawn(NODE, [join(DIST, 'daemon/main.js'), '--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', this.host, '--config-file', configFile, ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own directory, where a test can see that nothing was written into berthd's working directory.
      cwd: this.dir,
    });
    this.process = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}: ${this.log}`);
      if (existsSync(this.socket) && (await this.ping())) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`berthd did not start: ${this.log}`);
  }

  ping(): Promise<boolean> {
    return new Promise((resolvePing) => {
      const req = request({ socketPath: this.socket, path: '/_ping', agent: false }, (res) => {
        res.resume();
        resolvePing(res.statusCode === 200);
      });
      req.on('error', () => resolvePing(false));
      req.end();
    });
  }

  /** One Engine API request to this daemon; the whole answer body is read. */
  api(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
    return new Promise((resolveAnswer, reject) => {
      // A connection of its own: one kept alive from an earlier test can reach berthd's idle timeout
      // (5 s) just as it is reused, and the request then fails with EPIPE.
      const req = request({ socketPath: this.socket, method, path, headers: options.headers ?? {}, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** Stops the daemon with a signal and waits for it to exit (containers keep running). */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /** Runs the berth CLI against this daemon. */
  berth(args: string[], options: { input?: string | Buffer; env?: Record<string, string>; timeout?: number } = {}): CommandResult {
    return result(spawnSync(BERTH_CLI[0]!, [...BERTH_CLI.slice(1), ...args], {
      encoding: 'utf8',
      input: options.input ?? '',
      env: { ...process.env, BERTH_HOST: this.host, DOCKER_HOST: '', ...options.env },
      timeout: options.timeout ?? 60_000,
    }));
  }

  /** Runs the real docker CLI against this daemon. */
  docker(args: string[], options: { input?: string | Buffer; timeout?: number } = {}): CommandResult {
    return result(spawnSync('docker', args, {
      encoding: 'utf8',
      input: options.input ?? '',
      env: { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.dir, 'docker-config') },
      timeout: options.timeout ?? 60_000,
    }));
  }

  /**
   * The docker CLI without blocking this process: needed when the test itself serves
   * something the command reaches (the registry harness's token server runs in-process).
   */
  dockerAsync(args: string[], options: { input?: string | Buffer; timeout?: number } = {}): Promise<CommandResult> {
    return runAsync('docker', args, { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.dir, 'docker-config') }, options);
  }

  /** The berth CLI without blocking this process (see dockerAsync). */
  berthAsync(args: string[], options: { input?: string | Buffer; env?: Record<string, string>; timeout?: number } = {}): Promise<CommandResult> {
    return runAsync(BERTH_CLI[0]!, [...BERTH_CLI.slice(1), ...args], { ...process.env, BERTH_HOST: this.host, DOCKER_HOST: '', ...options.env }, options);
  }

  async stop(): Promise<void> {
    if (this.process && this.process.exitCode === null && existsSync(this.socket)) {
      const ids = this.berth(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
      if (ids.length) this.berth(['rm', '-f', ...ids]);
    }
    await this.halt();
    cleanupLeftovers(this.dir, this.execRoot);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function runAsync(command: string, args: string[], env: NodeJS.ProcessEnv, options: { input?: string | Buffer; timeout?: number }): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ status: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Kills monitors and containers and unmounts what a test daemon left under `dir`. */
function cleanupLeftovers(dir: string, execRoot: string): void {
  for (const runtime of ['crun', 'runc']) {
    const root = join(execRoot, 'runtime', runtime);
    if (!existsSync(root)) continue;
    const binary = runtime === 'crun' ? '/usr/bin/crun' : '/usr/sbin/runc';
    for (const id of readdirSync(root)) {
      spawnSync(binary, ['--root', root, 'kill', id, 'KILL']);
      spawnSync(binary, ['--root', root, 'delete', '-f', id]);
    }
  }
  const containers = join(dir, 'data', 'containers');
  if (existsSync(containers)) {
    for (const id of readdirSync(containers)) {
      const pidFile = join(containers, id, 'conmon.pid');
      if (!existsSync(pidFile)) continue;
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((target) => target.startsWith(dir));
  for (const target of mounts.reverse()) spawnSync('umount', ['-l', target]);
}
