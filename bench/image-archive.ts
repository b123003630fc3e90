/**
 * `save` and `load` of a ~220 MB image made of real files: five layers, each a GNU tar of a
 * directory under /usr/lib (7,400 files in all), in a docker-archive made here. Medians of
 * repeated runs through berthd's API; docker and podman are measured too when their engines
 * answer. As a yardstick for the file system, GNU tar extracting the same five layers into the
 * same file system is timed in the same rounds. Never a test: it measures. Run as root:
 * `node dist/bench/image-archive.js` (TMPDIR=/dev/shm puts the daemon's data root on tmpfs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../test/helpers/daemon.js';
import { median } from './median.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const LAYER_SOURCES = ['python3.11', 'python3', 'cni', 'postgresql', 'git-core'].map((name) => `/usr/lib/${name}`);


const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The five layers as GNU tar makes them, in `work`. */
async function makeLayers(work: string): Promise<string[]> {
  const paths: string[] = [];
  for (const source of LAYER_SOURCES) {
    const path = join(work, `${source.slice('/usr/lib/'.length)}.tar`);
    execFileSync('tar', ['--numeric-owner', '-C', '/usr/lib', '-cf', path, source.slice('/usr/lib/'.length)]);
    paths.push(path);
  }
  return paths;
}

/** Writes a docker-archive of the layers (optionally gzip-compressed each) as a tar made by GNU tar. */
async function makeArchive(work: string, name: string, layerTars: string[], gzipLayers: boolean): Promise<string> {
  const dir = await mkdtemp(join(work, `${name}-`));
  const diffIds: string[] = [];
  const layerPaths: string[] = [];
  for (const layerTar of layerTars) {
    const tar = await readFile(layerTar);
    diffIds.push(`sha256:${sha256(tar)}`);
    const content = gzipLayers ? gzipSync(tar, { level: 1 }) : tar;
    const path = `blobs/sha256/${sha256(content)}`;
    await mkdir(join(dir, 'blobs/sha256'), { recursive: true });
    await writeFile(join(dir, path), content);
    layerPaths.push(path);
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }),
  );
  await writeFile(join(dir, 'blobs/sha256', sha256(config)), config);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${sha256(config)}`, RepoTags: [`bench/${name}:1`], Layers: layerPaths }]));
  const archive = join(work, `${name}.tar`);
  execFileSync('tar', ['-C', dir, '-cf', archive, 'blobs', 'manifest.json']);
  await rm(dir, { recursive: true, force: true });
  return archive;
}

function api(socket: string, method: string, path: string, body?: string): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => {
      let bytes = 0;
      const head: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head.length < 4) head.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes, text: Buffer.concat(head).toString().slice(0, 500) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else createReadStream(body).pipe(req);
  });
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** GNU tar extracting the layer tars one after another into a new directory of the daemon's file system. */
async function gnuTarExtract(layerTars: string[], dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  return timed(async () => {
    for (const tar of layerTars) execFileSync('tar', ['-C', dir, '-xf', tar]);
  });
}

async function measureBerth(
  archive: string,
  name: string,
  layerTars: string[],
): Promise<{ load: number; reload: number; save: number; saveBytes: number; gnuTar: number }> {
  const daemon = await TestDaemon.start({ seed: false });
  const gnuTar: number[] = [];
  const loads: number[] = [];
  const reloads: number[] = [];
  const saves: number[] = [];
  let saveBytes = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      loads.push(
        await timed(async () => {
          const answer = await api(daemon.socket, 'POST', '/v1.44/images/load?quiet=1', archive);
          if (answer.status !== 200 || !answer.text.includes('Loaded image')) throw new Error(`load failed: ${answer.status} ${answer.text}`);
        }),
      );
      reloads.push(await timed(async () => void (await api(daemon.socket, 'POST', '/v1.44/images/load?quiet=1', archive))));
      saves.push(
        await timed(async () => {
          const answer = await api(daemon.socket, 'GET', `/v1.44/images/get?names=bench/${name}:1`);
          if (answer.status !== 200) throw new Error(`save failed: ${answer.status} ${answer.text}`);
          saveBytes = answer.bytes;
        }),
      );
      await api(daemon.socket, 'DELETE', `/v1.44/images/bench/${name}:1`);
      // Both start after a sync, so neither pays for the other's removed files being written back.
      spawnSync('sync');
      gnuTar.push(await gnuTarExtract(layerTars, join(daemon.dir, `gnu-tar-${round}`)));
      await rm(join(daemon.dir, `gnu-tar-${round}`), { recursive: true, force: true });
      // Let the removed files' blocks be freed before the next round writes new ones.
      spawnSync('sync');
    }
  } finally {
    await daemon.stop();
  }
  return { load: median(loads), reload: median(reloads), save: median(saves), saveBytes, gnuTar: median(gnuTar) };
}

function measurePeer(peer: string, archive: string, name: string): { load: number; save: number } | undefined {
  if (spawnSync(peer, ['info'], { stdio: 'ignore', timeout: 10_000 }).status !== 0) return undefined;
  const loads: number[] = [];
  const saves: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    spawnSync(peer, ['load', '-q', '-i', archive], { stdio: 'ignore' });
    loads.push(performance.now() - started);
    started = performance.now();
    spawnSync(peer, ['save', '-o', '/dev/null', `bench/${name}:1`], { stdio: 'ignore' });
    saves.push(performance.now() - started);
    spawnSync(peer, ['rmi', `bench/${name}:1`], { stdio: 'ignore' });
  }
  return { load: median(loads), save: median(saves) };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'berth-bench-archive-'));
  try {
    const layerTars = await makeLayers(work);
    for (const [name, gzipLayers] of [['plain', false], ['gzip', true]] as const) {
      const archive = await makeArchive(work, name, layerTars, gzipLayers);
      const size = (await stat(archive)).size;
      const berth = await measureBerth(archive, name, layerTars);
      const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
      console.log(`${name} layers, archive ${mb(size)} (${LAYER_SOURCES.length} layers, ${ROUNDS} rounds, medians):`);
      console.log(`  berth load   ${berth.load.toFixed(0)} ms  (${((size / 1e6) / (berth.load / 1000)).toFixed(0)} MB/s)`);
      console.log(`  berth load, layers present  ${berth.reload.toFixed(0)} ms`);
      console.log(`  berth save   ${berth.save.toFixed(0)} ms  (${mb(berth.saveBytes)})`);
      console.log(`  yardstick: GNU tar -x of the five uncompressed layers into the same file system ${berth.gnuTar.toFixed(0)} ms`);
      for (const peer of ['docker', 'podman']) {
        const figures = measurePeer(peer, archive, name);
        if (figures === undefined) {
          console.log(`  ${peer}: not installed or its engine does not answer`);
          continue;
        }
        console.log(`  ${peer} load ${figures.load.toFixed(0)} ms (berth ${(berth.load / figures.load).toFixed(2)}×), save ${figures.save.toFixed(0)} ms (berth ${(berth.save / figures.save).toFixed(2)}×)`);
      }
      await rm(archive, { force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
