import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { readTar } from '../../src/tar/reader.js';
import { type TarEntryInput, writeTar } from '../../src/tar/writer.js';
import { REPO, TestDaemon, hasDockerCli, isRoot } from '../helpers/daemon.js';

const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;
const hasUmoci = spawnSync('umoci', ['--version']).status === 0;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** An archive's regular files by path. */
async function filesOf(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for await (const { header, body } of readTar([archive])) {
    if (header.type === 'file') files.set(header.path, await bytesOf(body));
  }
  return files;
}

const tarOf = (entries: TarEntryInput[]): Promise<Buffer> => bytesOf(writeTar(entries));
const fileEntry = (path: string, content: Buffer | string): TarEntryInput => {
  const body = Buffer.from(content);
  return { header: { path, type: 'file', size: body.length, mode: 0o644, mtime: 1_700_000_000 }, body };
};

describe('image save and load', { skip: isRoot ? false : 'needs root (a daemon of its own, layers with device nodes)' }, () => {
  let daemon: TestDaemon;
  let work: string;

  const api = (method: string, path: string, body?: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath: daemon.socket, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/x-tar' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const save = async (names: string[], format?: string): Promise<Buffer> => {
    const query = names.map((name) => `names=${encodeURIComponent(name)}`).join('&') + (format === undefined ? '' : `&format=${format}`);
    const answer = await api('GET', `/v1.44/images/get?${query}`);
    assert.equal(answer.status, 200, answer.body.toString());
    assert.equal(answer.headers['content-type'], 'application/x-tar');
    return answer.body;
  };

  /** Loads an archive; returns the status and the messages of the JSON stream (or the error body). */
  const load = async (archive: Buffer, quiet = true): Promise<{ status: number; messages: Array<Record<string, unknown>> }> => {
    const answer = await api('POST', `/v1.44/images/load?quiet=${quiet ? 1 : 0}`, archive);
    const text = answer.body.toString().trim();
    const messages = text === '' ? [] : text.split(/\r?\n/).map((line) => JSON.parse(line) as Record<string, unknown>);
    return { status: answer.status, messages };
  };

  const inspect = async (name: string): Promise<{ Id: string; RepoTags: string[]; RootFS: { Layers: string[] } } | undefined> => {
    const answer = await api('GET', `/v1.44/images/${name}/json`);
    return answer.status === 200 ? JSON.parse(answer.body.toString()) : undefined;
  };

  const remove = async (name: string): Promise<void> => {
    const answer = await api('DELETE', `/v1.44/images/${name}?force=1`);
    assert.equal(answer.status, 200, answer.body.toString());
  };

  const tag = async (source: string, repo: string, tagName: string): Promise<void> => {
    assert.equal((await api('POST', `/v1.44/images/${source}/tag?repo=${encodeURIComponent(repo)}&tag=${tagName}`)).status, 201);
  };

  const listOrEmpty = async (dir: string): Promise<string[]> => (existsSync(dir) ? (await readdir(dir)).sort() : []);

  /** What a load must leave untouched when it fails. */
  const storeState = async (): Promise<Record<string, unknown>> => ({
    layers: (await listOrEmpty(join(daemon.dataRoot, 'layers'))).filter((name) => name !== 'tmp'),
    layerTemporaries: await listOrEmpty(join(daemon.dataRoot, 'layers', 'tmp')),
    blobs: await listOrEmpty(join(daemon.dataRoot, 'blobs', 'sha256')),
    blobTemporaries: await listOrEmpty(join(daemon.dataRoot, 'blobs', 'tmp')),
    shortLinks: await listOrEmpty(join(daemon.dataRoot, 'overlay', 'l')),
    images: JSON.parse((await api('GET', '/v1.44/images/json?all=1')).body.toString()),
  });

  const runs = (image: string, command: string[]): string => {
    const result = daemon.berth(['run', '--rm', '--network', 'none', image, ...command]);
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  };

  /**
   * A docker-archive in the classic layout (`<id>/layer.tar`, `<config>.json`) made by hand:
   * busybox's layer uncompressed, a second layer gzip-compressed, a third zstd-compressed, and a second image whose
   * layer.tar is a symlink to the first one's, as old `docker save` wrote shared layers.
   */
  const classicArchive = async (
    tags: { top: string; base: string },
    base = busyboxLayer,
  ): Promise<{ archive: Buffer; topId: string; baseId: string; gzipDigest: string }> => {
    const added = await tarOf([fileEntry('added.txt', 'made by hand, loaded by berth\n')]);
    const addedGzip = gzipSync(added);
    const extra = await tarOf([fileEntry('extra.txt', 'from a zstd layer\n')]);
    const configOf = (diffIds: string[], cmd: string[]): Buffer =>
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          created: '2024-01-02T03:04:05Z',
          config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd },
          rootfs: { type: 'layers', diff_ids: diffIds },
          history: diffIds.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'by hand' })),
        }),
      );
    const topConfig = configOf([sha256(base), sha256(added), sha256(extra)], ['cat', '/added.txt', '/extra.txt']);
    const baseConfig = configOf([sha256(base)], ['sh']);
    const [one, two, three] = ['1', '2', '3'].map((digit) => digit.repeat(64));
    const archive = await tarOf([
      { header: { path: `${one}/`, type: 'directory' } },
      fileEntry(`${one}/VERSION`, '1.0'),
      fileEntry(`${one}/json`, '{}'),
      fileEntry(`${one}/layer.tar`, base),
      { header: { path: `${two}/`, type: 'directory' } },
      fileEntry(`${two}/layer.tar`, addedGzip),
      fileEntry(`${'4'.repeat(64)}/layer.tar`, zstdCompressSync(extra)),
      { header: { path: `${three}/`, type: 'directory' } },
      { header: { path: `${three}/layer.tar`, type: 'symlink', linkpath: `../${one}/layer.tar` } },
      fileEntry(`${sha256(topConfig).slice(7)}.json`, topConfig),
      fileEntry(`${sha256(baseConfig).slice(7)}.json`, baseConfig),
      fileEntry(
        'manifest.json',
        JSON.stringify([
          { Config: `${sha256(topConfig).slice(7)}.json`, RepoTags: [tags.top], Layers: [`${one}/layer.tar`, `${two}/layer.tar`, `${'4'.repeat(64)}/layer.tar`] },
          { Config: `${sha256(baseConfig).slice(7)}.json`, RepoTags: [tags.base], Layers: [`${three}/layer.tar`] },
        ]),
      ),
    ]);
    return { archive, topId: sha256(topConfig), baseId: sha256(baseConfig), gzipDigest: sha256(addedGzip) };
  };

  let busyboxLayer: Buffer;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-archive-it-'));
    busyboxLayer = execFileSync(join(REPO, 'scripts/busybox-rootfs.sh'), { maxBuffer: 64 * 1024 * 1024 });
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('saves, removes and loads back an image: same id, tags back, a container runs from it', async () => {
    const original = (await inspect('busybox'))!;
    await tag('busybox', 'test/extra', 'v1');
    const archive = await save(['busybox', 'test/extra:v1']);
    const files = await filesOf(archive);

    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    assert.equal(manifest.length, 1, 'two tags of one image are one image');
    assert.deepEqual(manifest[0]!.RepoTags.sort(), ['busybox:latest', 'test/extra:v1']);
    assert.equal(manifest[0]!.Config, `blobs/sha256/${original.Id.slice(7)}`);
    const layer = files.get(manifest[0]!.Layers[0]!)!;
    assert.equal(sha256(layer), original.RootFS.Layers[0], "the layer is the exact tar the image's diff id names");
    assert.equal(files.get('oci-layout')!.toString(), '{"imageLayoutVersion": "1.0.0"}');
    assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), {
      busybox: { latest: original.RootFS.Layers[0]!.slice(7) },
      'test/extra': { v1: original.RootFS.Layers[0]!.slice(7) },
    });
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    assert.deepEqual(index.manifests.map((entry) => entry.annotations['io.containerd.image.name']).sort(), [
      'docker.io/library/busybox:latest',
      'docker.io/test/extra:v1',
    ]);
    for (const [path, content] of files) if (path.startsWith('blobs/sha256/')) assert.equal(sha256(content).slice(7), path.slice(13), path);

    await remove('busybox');
    await remove('test/extra:v1');
    assert.equal(await inspect(original.Id), undefined);
    const loaded = await load(archive, false);
    assert.equal(loaded.status, 200);
    assert.ok(loaded.messages.some((message) => message.status === 'Loading layer'));
    assert.deepEqual(loaded.messages.filter((message) => message.stream !== undefined).map((message) => message.stream).sort(), [
      'Loaded image: busybox:latest\n',
      'Loaded image: test/extra:v1\n',
    ]);
    const back = (await inspect('busybox'))!;
    assert.equal(back.Id, original.Id);
    assert.deepEqual(back.RepoTags.sort(), ['busybox:latest', 'test/extra:v1']);
    assert.equal(runs('busybox', ['echo', 'loaded and running']), 'loaded and running\n');

    // Saving again gives the same bytes: nothing in the archive depends on when it was made.
    assert.ok((await save(['busybox', 'test/extra:v1'])).equals(archive));
    await api('DELETE', '/v1.44/images/test/extra:v1');
  });

  it('round-trips an OCI layout (format=oci), named by its index annotations', async () => {
    const original = (await inspect('busybox'))!;
    const archive = await save(['busybox'], 'oci');
    const files = await filesOf(archive);
    assert.equal(files.has('manifest.json'), false);
    assert.equal(files.has('repositories'), false);
    const index = JSON.parse(files.get('index.json')!.toString()) as { manifests: Array<{ mediaType: string; annotations: Record<string, string> }> };
    assert.deepEqual(index.manifests.map((entry) => [entry.mediaType, entry.annotations]), [
      [
        'application/vnd.oci.image.manifest.v1+json',
        { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' },
      ],
    ]);
    await remove('busybox');
    const loaded = await load(archive);
    assert.equal(loaded.status, 200);
    assert.deepEqual(loaded.messages, [{ stream: 'Loaded image: busybox:latest\n' }]);
    assert.equal((await inspect('busybox'))!.Id, original.Id);
    assert.equal(runs('busybox', ['true']), '');
  });

  it('loads a hand-made classic docker-archive (plain, gzip and zstd layers, a symlinked layer.tar), compressed as a whole', async () => {
    const { archive, topId, baseId, gzipDigest } = await classicArchive({ top: 'handmade/classic:v1', base: 'handmade/base:v1' });
    const loaded = await load(gzipSync(archive));
    assert.equal(loaded.status, 200, JSON.stringify(loaded.messages));
    assert.deepEqual(loaded.messages, [{ stream: 'Loaded image: handmade/classic:v1\n' }, { stream: 'Loaded image: handmade/base:v1\n' }]);
    assert.equal((await inspect('handmade/classic:v1'))!.Id, topId);
    assert.equal((await inspect('handmade/base:v1'))!.Id, baseId);
    assert.equal(runs('handmade/classic:v1', []), 'made by hand, loaded by berth\nfrom a zstd layer\n');

    // The gzip layer is kept as it came, and a save sends it so.
    assert.equal(existsSync(join(daemon.dataRoot, 'blobs', 'sha256', gzipDigest.slice(7))), true);
    const files = await filesOf(await save(['handmade/classic:v1']));
    const [item] = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Layers: string[]; LayerSources: Record<string, { mediaType: string }> }>;
    assert.equal(item!.Layers[1], `blobs/sha256/${gzipDigest.slice(7)}`);
    assert.deepEqual(Object.values(item!.LayerSources).map((source) => source.mediaType), [
      'application/vnd.oci.image.layer.v1.tar',
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+zstd',
    ]);

    // Loading it again finds every layer present, and moves a tag taken from another image.
    await tag('busybox', 'move/me', '1');
    const again = await classicArchive({ top: 'move/me:1', base: 'handmade/base:v1' });
    const reloaded = await load(again.archive);
    assert.equal(reloaded.status, 200);
    const busyboxId = (await inspect('busybox'))!.Id;
    assert.deepEqual(reloaded.messages[0], { stream: `The image move/me:1 already exists, renaming the old one with ID ${busyboxId} to empty string\n` });
    assert.deepEqual((await inspect('move/me:1'))!.Id, topId);
    assert.deepEqual((await inspect('busybox'))!.RepoTags, ['busybox:latest']);
    for (const name of ['handmade/classic:v1', 'move/me:1', 'handmade/base:v1']) await remove(name);
  });

  it('refuses an archive with a corrupted layer or blob and leaves nothing behind', async () => {
    const before = await storeState();
    // A base layer no earlier test loaded (a present layer is not read again, as with docker),
    // big enough to be unpacked straight from the archive as it arrives.
    const marker = `corrupt me ${Date.now()}\n`;
    const base = await tarOf([fileEntry('big.txt', marker.repeat(Math.ceil((2 * 1024 * 1024) / marker.length)))]);
    const { archive } = await classicArchive({ top: 'corrupt/classic:v1', base: 'corrupt/base:v1' }, base);
    // Change one byte of the file in the base layer: the tar still reads, its diff id no longer matches.
    const at = archive.indexOf(marker) + 3;
    assert.ok(at > 3);
    const corrupted = Buffer.from(archive);
    corrupted[at] = corrupted[at]! ^ 0xff;
    const refused = await load(corrupted);
    assert.equal(refused.status, 400);
    assert.match(String(refused.messages[0]?.message), /has diff id sha256:[0-9a-f]{64}, its image config says sha256:[0-9a-f]{64}/);
    assert.deepEqual(await storeState(), before);
    assert.equal(await inspect('corrupt/classic:v1'), undefined);

    // An OCI blob whose content is not what its name says.
    const oci = await save(['busybox'], 'oci');
    const config = (await inspect('busybox'))!.Id.slice(7);
    const entries: TarEntryInput[] = [];
    for await (const { header, body } of readTar([oci])) {
      const content = await bytesOf(body);
      if (header.path === `blobs/sha256/${config}`) content[content.indexOf('"os"') + 2] ^= 0x20;
      entries.push(header.type === 'file' ? { header, body: content } : { header });
    }
    const badBlob = await load(await tarOf(entries));
    assert.equal(badBlob.status, 400);
    assert.match(String(badBlob.messages[0]?.message), new RegExp(`the config blob sha256:${config} has digest`));
    assert.deepEqual(await storeState(), before);
  });

  it('refuses a truncated archive and leaves nothing behind', async () => {
    const { archive } = await classicArchive({ top: 'truncated/classic:v1', base: 'truncated/base:v1' });
    const before = await storeState();
    for (const cut of [0.3, 0.6, 0.999]) {
      const refused = await load(archive.subarray(0, Math.floor(archive.length * cut)));
      assert.equal(refused.status, 400);
      assert.match(String(refused.messages[0]?.message), /unexpected end of tar stream/);
    }
    assert.deepEqual(await storeState(), before);
  });

  it('answers a save of an unknown name with 404 and no archive', async () => {
    const answer = await api('GET', '/v1.44/images/get?names=busybox&names=no/such:image');
    assert.equal(answer.status, 404);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(answer.body.toString()), { message: 'No such image: no/such:image' });
    assert.equal((await api('GET', '/v1.44/images/nosuch/get')).status, 404);
  });

  it('speaks docker save and docker load with the docker CLI', { skip: hasDockerCli ? false : 'no docker CLI' }, async () => {
    const path = join(work, 'cli.tar');
    const id = (await inspect('busybox'))!.Id;
    const saved = daemon.docker(['save', '-o', path, 'busybox']);
    assert.equal(saved.status, 0, saved.stderr);
    await remove('busybox');
    const loaded = daemon.docker(['load', '-i', path]);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.match(loaded.stdout, /Loaded image: busybox:latest/);
    assert.equal(daemon.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox']).stdout.trim(), id);
    const unknown = daemon.docker(['save', '-o', join(work, 'none.tar'), 'no-such-image']);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /No such image/);
  });

  it('writes archives skopeo and umoci read as valid', { skip: hasSkopeo ? false : 'skopeo is not installed' }, async () => {
    const id = (await inspect('busybox'))!.Id;
    for (const format of ['docker', 'oci']) {
      const path = join(work, `checked-${format}.tar`);
      await writeFile(path, await save(['busybox'], format));
      // Copying to a directory makes skopeo read and check every blob against its digest.
      const copied = spawnSync('skopeo', ['copy', `oci-archive:${path}:latest`, `dir:${join(work, `copy-${format}`)}`], { encoding: 'utf8' });
      assert.equal(copied.status, 0, copied.stderr);
      const config = spawnSync('skopeo', ['inspect', '--config', '--raw', `oci-archive:${path}:latest`]);
      assert.equal(sha256(config.stdout), id);
      if (format === 'docker') {
        const archived = spawnSync('skopeo', ['copy', `docker-archive:${path}`, `dir:${join(work, 'copy-docker-archive')}`], { encoding: 'utf8' });
        assert.equal(archived.status, 0, archived.stderr);
      }
    }

    // A gzip OCI layout written by skopeo: loaded with its compressed blob and manifest kept,
    // so a save gives the same manifest (and so the same image digest) back.
    const gzipLayout = join(work, 'skopeo-gzip.tar');
    const recompressed = spawnSync(
      'skopeo',
      ['copy', '--dest-compress', '--dest-compress-format', 'gzip', `oci-archive:${join(work, 'checked-oci.tar')}:latest`, `oci-archive:${gzipLayout}:localhost:5000/skopeo/gz:1`],
      { encoding: 'utf8' },
    );
    assert.equal(recompressed.status, 0, recompressed.stderr);
    const written = await filesOf(await readFile(gzipLayout));
    const [descriptor] = (JSON.parse(written.get('index.json')!.toString()) as { manifests: Array<{ digest: string }> }).manifests;
    const loaded = await load(await readFile(gzipLayout));
    assert.deepEqual(loaded.messages, [{ stream: 'Loaded image: localhost:5000/skopeo/gz:1\n' }]);
    assert.equal((await inspect('localhost:5000/skopeo/gz:1'))!.Id, id);
    const resaved = await filesOf(await save(['localhost:5000/skopeo/gz:1'], 'oci'));
    const [again] = (JSON.parse(resaved.get('index.json')!.toString()) as { manifests: Array<{ digest: string }> }).manifests;
    assert.equal(again!.digest, descriptor!.digest, 'the manifest skopeo wrote is the one saved');
    const manifest = JSON.parse(resaved.get(`blobs/sha256/${again!.digest.slice(7)}`)!.toString()) as { layers: Array<{ mediaType: string; digest: string }> };
    assert.equal(manifest.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    assert.ok(resaved.has(`blobs/sha256/${manifest.layers[0]!.digest.slice(7)}`));
    await api('DELETE', '/v1.44/images/localhost:5000/skopeo/gz:1');

    if (hasUmoci) {
      const layout = join(work, 'layout');
      const copied = spawnSync('skopeo', ['copy', `oci-archive:${join(work, 'checked-oci.tar')}:latest`, `oci:${layout}:latest`], { encoding: 'utf8' });
      assert.equal(copied.status, 0, copied.stderr);
      const unpacked = spawnSync('umoci', ['unpack', '--image', `${layout}:latest`, join(work, 'bundle')], { encoding: 'utf8' });
      assert.equal(unpacked.status, 0, unpacked.stderr);
      assert.equal((await readFile(join(work, 'bundle', 'rootfs', 'etc', 'passwd'), 'utf8')).startsWith('root:x:0:0'), true);
    }
  });
});
