/**
 * Side-by-side benchmark of berth and the peers installed here (docker, podman):
 * medians of repeated runs, printed as a Markdown table with ratios. Never a test:
 * it asserts nothing, it measures. Run with `scripts/bench.sh` (root).
 *
 * berth runs against a berthd of its own (temporary data root and socket), driven by
 * its own CLI and, where installed, by the docker CLI too. A peer
 * is measured only when its engine answers (`docker info`, `podman info`); each
 * gets the same offline busybox rootfs imported as busybox:latest.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BERTH_CLI, REPO, TestDaemon } from '../test/helpers/daemon.js';
import { median } from './median.js';

interface Engine {
  name: string;
  command: string[];
  env: NodeJS.ProcessEnv;
}

interface Figures {
  versionMs?: number;
  runMs?: number;
  execMs?: number;
  fiftyRunsMs?: number;
  fiftyRemoveMs?: number;
  logsMillionMs?: number;
  attachedMillionMs?: number;
  daemonIdleRssMb?: number;
  daemonRssMb?: number;
  monitorRssMb?: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const INSTALLED_CLI = '/usr/local/bin/berth';


function run(engine: Engine, args: string[], options: { output?: 'ignore' | 'pipe' } = {}): { ms: number; stdout: string; status: number } {
  const started = performance.now();
  const result = spawnSync(engine.command[0]!, [...engine.command.slice(1), ...args], {
    env: engine.env,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', options.output ?? 'pipe', 'pipe'],
  });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${engine.name} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { ms, stdout: result.stdout ?? '', status: result.status ?? 0 };
}

/** Output discarded in the child's own /dev/null, so the reader's cost is the engine's, not ours. */
function timedToDevNull(engine: Engine, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sh', ['-c', `"$@" > /dev/null`, 'sh', ...engine.command, ...args], { env: engine.env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${engine.name} ${args.join(' ')} exited ${code}`))));
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function pidsOf(name: string): number[] {
  const out = spawnSync('pgrep', ['-x', name], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

async function measure(engine: Engine, daemonPid: number | undefined, monitorName: string | undefined): Promise<Figures> {
  const figures: Figures = {};
  if (daemonPid) figures.daemonIdleRssMb = rssMb(daemonPid);
  const samples = (work: () => number): number => median(Array.from({ length: ROUNDS }, work));
  figures.versionMs = samples(() => run(engine, ['--version']).ms);
  run(engine, ['run', '--rm', 'busybox', 'true']);
  figures.runMs = samples(() => run(engine, ['run', '--rm', 'busybox', 'true']).ms);

  const sleeper = run(engine, ['run', '-d', 'busybox', 'sleep', '1000']).stdout.trim();
  figures.execMs = samples(() => run(engine, ['exec', sleeper, 'true']).ms);
  run(engine, ['rm', '-f', sleeper]);

  const monitorsBefore = monitorName ? new Set(pidsOf(monitorName)) : new Set<number>();
  const ids: string[] = [];
  const started = performance.now();
  for (let index = 0; index < 50; index++) ids.push(run(engine, ['run', '-d', 'busybox', 'sleep', '1000']).stdout.trim());
  figures.fiftyRunsMs = performance.now() - started;
  if (monitorName) {
    const monitors = pidsOf(monitorName).filter((pid) => !monitorsBefore.has(pid));
    if (monitors.length) figures.monitorRssMb = monitors.reduce((sum, pid) => sum + rssMb(pid), 0) / monitors.length;
  }
  figures.fiftyRemoveMs = run(engine, ['rm', '-f', ...ids]).ms;

  const printer = run(engine, ['run', '-d', 'busybox', 'seq', '1000000']).stdout.trim();
  run(engine, ['wait', printer]);
  figures.logsMillionMs = median([await timedToDevNull(engine, ['logs', printer]), await timedToDevNull(engine, ['logs', printer]), await timedToDevNull(engine, ['logs', printer])]);
  run(engine, ['rm', '-f', printer]);
  figures.attachedMillionMs = median([
    await timedToDevNull(engine, ['run', '--rm', 'busybox', 'seq', '1000000']),
    await timedToDevNull(engine, ['run', '--rm', 'busybox', 'seq', '1000000']),
    await timedToDevNull(engine, ['run', '--rm', 'busybox', 'seq', '1000000']),
  ]);
  // What stays once the daemon is quiet again, not the peak of the last answer.
  await new Promise((resolveQuiet) => setTimeout(resolveQuiet, 3000));
  if (daemonPid) figures.daemonRssMb = rssMb(daemonPid);
  return figures;
}

function engineAnswers(command: string): boolean {
  return spawnSync(command, ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function importBusybox(command: string): void {
  const tar = spawnSync(join(REPO, 'scripts/busybox-rootfs.sh'), { maxBuffer: 1 << 28 }).stdout;
  spawnSync(command, ['import', '-c', 'CMD ["sh"]', '-', 'busybox:latest'], { input: tar, stdio: ['pipe', 'ignore', 'inherit'] });
}

const ROWS: [keyof Figures, string, string][] = [
  ['versionMs', '`--version` (CLI start)', 'ms'],
  ['runMs', '`run --rm busybox true`', 'ms'],
  ['execMs', '`exec <running> true`', 'ms'],
  ['fiftyRunsMs', '50 × `run -d busybox sleep`', 'ms'],
  ['fiftyRemoveMs', '`rm -f` of those 50', 'ms'],
  ['logsMillionMs', '`logs` of 1,000,000 lines', 'ms'],
  ['attachedMillionMs', '`run --rm seq 1000000` attached', 'ms'],
  ['daemonIdleRssMb', 'daemon RSS before the runs', 'MB'],
  ['daemonRssMb', 'daemon RSS 3 s after the runs', 'MB'],
  ['monitorRssMb', 'per-container monitor RSS (conmon / shim)', 'MB'],
];

async function main(): Promise<void> {
  const results = new Map<string, Figures>();
  const daemon = await TestDaemon.start();
  try {
    // The installed launcher (compile cache on) is what users run; the built entry otherwise.
    const command = existsSync(INSTALLED_CLI) ? [INSTALLED_CLI] : BERTH_CLI;
    const berth: Engine = { name: 'berth', command, env: { ...process.env, BERTH_HOST: daemon.host } };
    const daemonPid = Number(readFileSync(join(daemon.execRoot, 'berthd.pid'), 'utf8'));
    results.set('berth', await measure(berth, daemonPid, 'conmon'));
    // The same engine driven by Go's docker CLI: berthd's own speed, without Node's ~40 ms start per command.
    if (spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0) {
      const dockerCli: Engine = { name: 'docker CLI', command: ['docker'], env: { ...process.env, DOCKER_HOST: daemon.host, DOCKER_CONFIG: join(daemon.dir, 'docker-config') } };
      results.set('docker CLI → berthd', await measure(dockerCli, daemonPid, 'conmon'));
    }
  } finally {
    await daemon.stop();
  }
  for (const peer of ['docker', 'podman']) {
    if (!engineAnswers(peer)) {
      console.error(`bench: ${peer} is not installed or its engine does not answer: skipped`);
      continue;
    }
    importBusybox(peer);
    // pgrep -x matches the kernel's 15-character process name: containerd-shim-runc-v2 is seen as containerd-shim.
    const monitor = peer === 'docker' ? 'containerd-shim' : 'conmon';
    const daemonPid = peer === 'docker' ? pidsOf('dockerd')[0] : undefined;
    // A peer that cannot run containers on this host (podman's rlimits without CAP_SYS_RESOURCE) is reported, not fatal.
    try {
      results.set(peer, await measure({ name: peer, command: [peer], env: process.env }, daemonPid, monitor));
    } catch (error) {
      console.error(`bench: ${peer} could not be measured: ${(error as Error).message.trim()}`);
    }
  }
  const engines = [...results.keys()];
  const peers = engines.filter((name) => name === 'docker' || name === 'podman');
  // berth's CLI, and berthd alone (driven by Go's docker CLI), each against every peer.
  const ours = engines.filter((name) => name === 'berth' || name === 'docker CLI → berthd');
  const pairs = ours.flatMap((mine) => peers.map((peer) => [mine, peer] as const));
  const header = ['measure', ...engines, ...pairs.map(([mine, peer]) => `${mine === 'berth' ? 'berth' : 'berthd'} / ${peer}`)];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const [key, label, unit] of ROWS) {
    const values = engines.map((name) => results.get(name)![key]);
    const cells = values.map((value) => (value === undefined ? '—' : `${value.toFixed(unit === 'MB' ? 1 : 0)} ${unit}`));
    const ratios = pairs.map(([mine, peer]) => {
      const mineValue = results.get(mine)![key];
      const peerValue = results.get(peer)![key];
      return mineValue === undefined || peerValue === undefined ? '—' : `${(mineValue / peerValue).toFixed(2)}×`;
    });
    console.log(`| ${[label, ...cells, ...ratios].join(' | ')} |`);
  }
  console.log(`\n(${ROUNDS} rounds for the per-command medians, 3 for the 1,000,000-line ones; ${new Date().toISOString().slice(0, 10)}, ${process.version})`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(1);
});
