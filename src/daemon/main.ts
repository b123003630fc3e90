import './heap-tuning.js';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { trimWhenQuiet } from './trim-when-quiet.js';
import { exitNow } from '../sys/libc.js';
import { DEFAULT_CONFIG_FILE, loadDaemonConfig, type DaemonConfig } from '../engine/daemon-config.js';
import { BERTH_VERSION } from '../engine/system-info.js';

const USAGE = `Usage:  berthd [OPTIONS]

The berth daemon: serves the Docker Engine API and runs containers.
Containers keep running when berthd stops; a restarted berthd adopts them.

Options:
      --config-file string       Daemon configuration file (default "${DEFAULT_CONFIG_FILE}")
      --data-root string         Root directory of persistent state (default "/var/lib/berth")
      --exec-root string         Root directory of runtime state (default "/run/berth")
  -H, --host string              Socket to listen on (default "unix:///run/berth/berth.sock")
      --default-runtime string   Default OCI runtime for containers: crun or runc (default "crun")
      --no-fix-cgroup-layout     Do not move v2 controllers of a hybrid cgroup host to v1 (crun then cannot run)
  -v, --version                  Print version information and quit
  -h, --help                     Print usage
`;

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} berthd: ${line}\n`);
}

async function settings(): Promise<DaemonConfig> {
  const { values } = parseArgs({
    options: {
      'config-file': { type: 'string' },
      'data-root': { type: 'string' },
      'exec-root': { type: 'string' },
      host: { type: 'string', short: 'H', multiple: true },
      'default-runtime': { type: 'string' },
      'no-fix-cgroup-layout': { type: 'boolean' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.version) {
    process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
    process.exit(0);
  }
  const config = await loadDaemonConfig(values['config-file'] ?? DEFAULT_CONFIG_FILE, values['config-file'] !== undefined);
  if (values['data-root']) config['data-root'] = values['data-root'];
  if (values['exec-root']) config['exec-root'] = values['exec-root'];
  // Absolute roots: overlay mounts change the working directory for a moment (image/overlay-mount.ts).
  config['data-root'] = resolve(config['data-root']);
  config['exec-root'] = resolve(config['exec-root']);
  if (values.host?.length) config.hosts = values.host;
  if (values['default-runtime']) config['default-runtime'] = values['default-runtime'];
  if (values['no-fix-cgroup-layout']) config['fix-cgroup-layout'] = false;
  return config;
}

function socketPath(host: string): string {
  if (!host.startsWith('unix://')) throw new Error(`unsupported host ${host}: berthd listens on unix sockets (unix:///path)`);
  return host.slice('unix://'.length);
}

/**
 * Whether the pid of an old pid file is a berthd still alive. A killed berthd can
 * linger as a zombie until its parent reaps it, and its pid can be reused by any
 * process, so existing is not enough: it must be running and be berthd.
 */
async function isLiveBerthd(pid: number): Promise<boolean> {
  const [stat, cmdline] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
  ]);
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (!stat || state === 'Z' || state === 'X') return false;
  return /berthd|daemon\/main\.js/.test(cmdline);
}

/** Refuses to start beside a live berthd using the same exec root. */
async function claimPidFile(path: string): Promise<void> {
  const existing = Number(await readFile(path, 'utf8').catch(() => '0'));
  if (existing > 0 && existing !== process.pid && (await isLiveBerthd(existing))) {
    throw new Error(`berthd is already running with pid ${existing} (pid file ${path})`);
  }
  await writeFile(path, `${process.pid}\n`);
}

async function main(): Promise<void> {
  const config = await settings();
  if (process.getuid?.() !== 0) throw new Error('berthd must run as root');
  await mkdir(config['exec-root'], { recursive: true });
  const pidFile = join(config['exec-root'], 'berthd.pid');
  await claimPidFile(pidFile);
  const [{ Engine }, { createApiServer }] = await Promise.all([import('../engine/engine.js'), import('../api/server.js')]);
  const engine = await Engine.open(config, log);
  const server = createApiServer({
    containers: engine.containers,
    execs: engine.execs,
    containerStats: engine.containerStats,
    archive: engine.archive,
    maintenance: engine.maintenance,
    images: engine.images,
    volumes: engine.volumes,
    events: engine.events,
    system: { info: () => engine.info(), version: () => engine.version(), df: () => engine.maintenance.diskUsage() },
  }, { log });
  // Measured: RSS after serving three `logs` of 1,000,000 lines falls back from ~170 MB.
  const trim = trimWhenQuiet(1000);
  server.on('connection', (socket: Socket) => socket.once('close', trim));
  const sockets = config.hosts.map(socketPath);
  for (const path of sockets) {
    await mkdir(dirname(path), { recursive: true });
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(path, 0o660);
  }
  log(`berth ${BERTH_VERSION} serving the Docker Engine API on ${config.hosts.join(', ')} (data root ${config['data-root']}, default runtime ${engine.defaultRuntime})`);
  const shutdown = (signal: string): void => {
    log(`${signal}: stopping; containers keep running and are adopted at the next start`);
    server.close();
    engine.close();
    // exitNow, not process.exit: see libc.ts. What berthd writes to stderr is written synchronously.
    void Promise.all([...sockets.map((path) => rm(path, { force: true })), rm(pidFile, { force: true })]).finally(() => exitNow(0));
    setTimeout(() => exitNow(0), 2000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  log(`failed to start: ${(error as Error).message}`);
  process.exit(1);
});
