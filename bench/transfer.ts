/**
 * Image transfer benchmark (issue 4): pull, push, save and load of a ~210 MB, 5-layer image
 * made of real files (taken from the host's /usr), through a Debian docker-registry on
 * 127.0.0.1. Medians of repeated rounds, with ratios against the peers installed here
 * (docker, podman: each measured only when its engine answers) and against the Docker
 * figures the issue gives for this machine. Never a test: it asserts nothing.
 * Run with `scripts/bench.sh transfer` (root).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { writeTar, type TarEntryInput } from '../src/tar/writer.js';
import { TestDaemon } from '../test/helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../test/helpers/registry.js';
import { sha256 } from '../test/helpers/registry-images.js';
import { median } from './median.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAYERS = 5;
const LAYER_BYTES = 42 * 1000 * 1000;
const MAX_FILE_BYTES = 4 * 1000 * 1000;
/** What the issue measured for Docker 20.10 on this kind of machine, in seconds. */
const DOCKER_REFERENCE = { pull: 1.92, push: 5.6, save: 1.83, load: 1.27 };


/** Regular files under `root`, in a stable order, until `bytes` are gathered. */
function* hostFiles(root: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(root, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) yield* hostFiles(path);
    // Files of every size a distribution image holds, but none so big that one layer is one file.
    else if (stat.isFile() && stat.size > 0 && stat.size <= MAX_FILE_BYTES) yield path;
  }
}

async function layerTars(): Promise<Buffer[]> {
  const files = hostFiles('/usr');
  const tars: Buffer[] = [];
  for (let index = 0; index < LAYERS; index += 1) {
    const entries: TarEntryInput[] = [];
    let size = 0;
    for (let next = files.next(); !next.done; next = files.next()) {
      const content = readFileSync(next.value);
      entries.push({ header: { path: relative('/', next.value), type: 'file', mode: 0o644, size: content.length, mtime: 1_700_000_000 }, body: content });
      size += content.length;
      if (size >= LAYER_BYTES) break;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of writeTar(entries)) chunks.push(chunk);
    tars.push(Buffer.concat(chunks));
  }
  return tars;
}

interface SeededImage {
  tars: Buffer[];
  config: Buffer;
}

/** Puts the image in the registry as Docker would have pushed it (gzip at its default level). */
async function seedRegistry(registry: TestRegistry, repo: string): Promise<SeededImage> {
  const tars = await layerTars();
  const blobs = tars.map((tar) => gzipSync(tar));
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
    history: tars.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'bench/transfer.ts' })),
  }));
  await registry.putBlob(repo, config);
  for (const blob of blobs) await registry.putBlob(repo, blob);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
    layers: blobs.map((blob) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: blob.length, digest: sha256(blob) })),
  }));
  await registry.putManifest(repo, '1', 'application/vnd.docker.distribution.manifest.v2+json', manifest);
  return { tars, config };
}

/** The image as classic `docker save` writes it: uncompressed layer tars, manifest.json. */
async function writePlainArchive(image: SeededImage, reference: string, path: string): Promise<void> {
  const configName = `${sha256(image.config).slice(7)}.json`;
  const layerNames = image.tars.map((_, index) => `layer${index}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: layerNames }]));
  const file = (name: string, body: Buffer): TarEntryInput => ({ header: { path: name, type: 'file', mode: 0o644, size: body.length, mtime: 1_700_000_000 }, body });
  const entries = [file(configName, image.config), ...image.tars.map((tar, index) => file(layerNames[index]!, tar)), file('manifest.json', manifest)];
  const out = createWriteStream(path);
  await pipeline(Readable.from(writeTar(entries)), out);
}

interface Cli {
  name: string;
  run(args: string[]): Promise<{ status: number; stderr: string }>;
}

/**
 * docker or podman as installed. The loopback registry speaks plain http: podman must be told
 * per command (docker treats 127.0.0.0/8 as insecure by itself).
 */
function peerCli(name: string): Cli {
  const plainHttp = name === 'podman' ? ['--tls-verify=false'] : [];
  return {
    name,
    run: (args) =>
      new Promise((resolve) => {
        const extra = args[0] === 'pull' || args[0] === 'push' ? plainHttp : [];
        const child = spawn(name, [args[0]!, ...extra, ...args.slice(1)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ status: code ?? 1, stderr }));
      }),
  };
}

/**
 * Lets the file system finish what earlier rounds left it (this machine's ext4 is mounted with
 * `discard`: the files an `rmi` deleted are trimmed at the next journal commit, which stalls
 * every file creation meanwhile), so a round measures its own operation only.
 */
async function settle(): Promise<void> {
  spawnSync('sync');
  await new Promise((resolve) => setTimeout(resolve, 6000));
}

async function timed(cli: Cli, args: string[]): Promise<number> {
  await settle();
  const started = performance.now();
  const result = await cli.run(args);
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${cli.name} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return seconds;
}

interface TransferFigures {
  pull: number;
  pushKept: number;
  pushFirst: number;
  save: number;
  load: number;
}

async function measure(cli: Cli, image: string, work: string): Promise<TransferFigures> {
  const pulls: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    await cli.run(['rmi', '-f', image]);
    pulls.push(await timed(cli, ['pull', '-q', image]));
  }
  const archive = join(work, `${cli.name.replace(/\W+/g, '-')}.tar`);
  const saves: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    rmSync(archive, { force: true });
    saves.push(await timed(cli, ['save', '-o', archive, image]));
  }
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    await cli.run(['rmi', '-f', image]);
    loads.push(await timed(cli, ['load', '-q', '-i', archive]));
  }
  // Pushes go to an empty registry each round, so every blob is really sent.
  const pushTarget = async (pushes: number[], prepare: () => Promise<void>) => {
    for (let round = 0; round < ROUNDS; round += 1) {
      await prepare();
      const target = await TestRegistry.start();
      try {
        const name = `${target.host}/bench/pushed:1`;
        await cli.run(['tag', image, name]);
        pushes.push(await timed(cli, ['push', '-q', name]));
        await cli.run(['rmi', name]);
      } finally {
        await target.stop();
      }
    }
  };
  const pushKept: number[] = [];
  await pushTarget(pushKept, async () => {
    await cli.run(['rmi', '-f', image]);
    await cli.run(['pull', '-q', image]);
  });
  // An image whose layers arrived uncompressed must be gzipped on its first push.
  const plainArchive = join(work, 'plain.tar');
  const pushFirst: number[] = [];
  await pushTarget(pushFirst, async () => {
    await cli.run(['rmi', '-f', image]);
    await cli.run(['load', '-q', '-i', plainArchive]);
  });
  // Nothing stays behind: a later run's registry has another port, and a tag of this one
  // would keep the layers, making that run's pulls and loads find them all present.
  await cli.run(['rmi', '-f', image]);
  return { pull: median(pulls), pushKept: median(pushKept), pushFirst: median(pushFirst), save: median(saves), load: median(loads) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0 || !hasRegistry) throw new Error('bench/transfer needs root and docker-registry');
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-transfer-'));
  const registry = await TestRegistry.start();
  const daemon = await TestDaemon.start({ seed: false });
  try {
    const repo = 'bench/big';
    const seeded = await seedRegistry(registry, repo);
    const imageBytes = seeded.tars.reduce((sum, tar) => sum + tar.length, 0);
    const image = `${registry.host}/${repo}:1`;
    await writePlainArchive(seeded, image, join(work, 'plain.tar'));
    const berth: Cli = { name: 'berth', run: (args) => daemon.berthAsync(args, { timeout: 600_000 }) };
    const results = new Map<string, TransferFigures>();
    results.set('berth', await measure(berth, image, work));
    for (const peer of ['docker', 'podman']) {
      if (spawnSync(peer, ['info'], { stdio: 'ignore', timeout: 30_000 }).status !== 0) {
        console.error(`bench: ${peer} is not installed or its engine does not answer: skipped`);
        continue;
      }
      results.set(peer, await measure(peerCli(peer), image, work));
    }
    const size = statSync(join(work, 'berth.tar')).size;
    console.log(`image: ${LAYERS} layers, ${(imageBytes / 1e6).toFixed(0)} MB of files; berth's save archive ${(size / 1e6).toFixed(0)} MB; ${ROUNDS} rounds, medians\n`);
    const peers = [...results.keys()].filter((name) => name !== 'berth');
    console.log(`| measure | ${[...results.keys()].join(' | ')} | Docker 20.10 (issue) | ${[...peers, 'Docker 20.10'].map((name) => `berth / ${name}`).join(' | ')} |`);
    console.log(`|---|${[...results.keys(), 'reference', ...peers, 'ratio'].map(() => '---|').join('')}`);
    const rows: Array<[string, keyof TransferFigures, number]> = [
      ['pull', 'pull', DOCKER_REFERENCE.pull],
      ['push (blobs kept from the pull)', 'pushKept', DOCKER_REFERENCE.push],
      ['push (layers gzipped first)', 'pushFirst', DOCKER_REFERENCE.push],
      ['save', 'save', DOCKER_REFERENCE.save],
      ['load', 'load', DOCKER_REFERENCE.load],
    ];
    const berthFigures = results.get('berth')!;
    for (const [name, key, reference] of rows) {
      const values = [...results.values()].map((figures) => `${figures[key].toFixed(2)} s`);
      const ratios = [...peers.map((peer) => results.get(peer)![key]), reference].map((other) => `${(berthFigures[key] / other).toFixed(2)}×`);
      console.log(`| ${name} | ${values.join(' | ')} | ${reference} s | ${ratios.join(' | ')} |`);
    }
  } finally {
    await daemon.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
