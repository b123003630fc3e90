import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type TarEntryInput, writeTar } from '../../src/tar/writer.js';
import { TestDaemon, isRoot } from '../helpers/daemon.js';
import type { ProxiedRequest } from '../helpers/registry-proxy.js';
import { type RegistryAuth, TestRegistry, hasRegistry } from '../helpers/registry.js';
import { type BuiltImage, buildImage, progressLines, registryAuth, sha256 } from '../helpers/registry-images.js';

const skip = !isRoot ? 'needs root' : !hasRegistry ? 'needs docker-registry (Debian package)' : false;

/** The image as classic `docker save` writes it: uncompressed layer tars, of which berth keeps no gzip. */
async function plainArchive(image: BuiltImage, reference: string): Promise<Buffer> {
  const mtime = 1_700_000_000;
  const file = (path: string, body: Buffer): TarEntryInput => ({ header: { path, type: 'file', mode: 0o644, size: body.length, mtime }, body });
  const configName = `${image.id.slice(7)}.json`;
  const layerNames = image.layers.map((_, index) => `layer${index}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: layerNames }]));
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar([file(configName, image.config), ...image.layers.map((layer, index) => file(layerNames[index]!, layer.tar)), file('manifest.json', manifest)])) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** What a failed push could leave in the blob store's temporary area. */
function blobTemporaries(daemon: TestDaemon): string[] {
  const dir = join(daemon.dataRoot, 'blobs/tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function storedBlobs(daemon: TestDaemon): string[] {
  return readdirSync(join(daemon.dataRoot, 'blobs/sha256')).sort();
}

/** The compressed forms berth recorded for a layer. */
function keptForms(daemon: TestDaemon, chainId: string): Array<{ digest: string; size: number }> {
  return (JSON.parse(readFileSync(join(daemon.dataRoot, 'layers', chainId.slice(7), 'layer.json'), 'utf8')) as { compressed?: Array<{ digest: string; size: number }> }).compressed ?? [];
}

/** The streamed uploads among requests: a PATCH with a chunked body and no Content-Range. */
function streamedPatches(requests: readonly ProxiedRequest[]): ProxiedRequest[] {
  return requests.filter((request) => request.method === 'PATCH' && request.headers['transfer-encoding'] === 'chunked' && request.headers['content-range'] === undefined);
}

/** The digests named by PUTs that close uploads. */
function closedUploads(requests: readonly ProxiedRequest[]): string[] {
  return requests
    .filter((request) => request.method === 'PUT' && request.url.includes('/blobs/uploads/'))
    .map((request) => new URL(request.url, 'http://registry').searchParams.get('digest') ?? '')
    .sort();
}

function pushedManifest(registry: TestRegistry, digest: string): { layers: Array<{ digest: string; size: number }> } {
  return JSON.parse(readFileSync(registry.blobPath(digest), 'utf8')) as { layers: Array<{ digest: string; size: number }> };
}

for (const auth of ['none', 'basic', 'token'] as RegistryAuth[]) {
  describe(`first push of layers stored uncompressed, streamed while gzipped (auth: ${auth})`, { skip }, () => {
    let registry: TestRegistry;
    let daemon: TestDaemon;
    let credentials: Record<string, string>;

    before(async () => {
      registry = await TestRegistry.start({ auth, proxy: true });
      daemon = await TestDaemon.start({ seed: false });
      credentials = auth === 'none' ? {} : { 'X-Registry-Auth': registryAuth('tester', 'secret-pass', registry.proxyHost) };
    });
    after(async () => {
      await daemon?.stop();
      await registry?.stop();
    });

    const push = (name: string, tag: string) => daemon.api('POST', `/v1.44/images/${encodeURIComponent(name)}/push?tag=${tag}`, { headers: credentials });
    const load = async (image: BuiltImage, reference: string) => {
      const answer = await daemon.api('POST', '/v1.44/images/load?quiet=1', { body: await plainArchive(image, reference) });
      assert.equal(answer.status, 200, answer.body.toString());
      assert.doesNotMatch(answer.body.toString(), /error/i);
    };

    it('sends each layer as one chunked PATCH closed by its digest; the blob sent is the gzip kept, and pulls back as the same image', async () => {
      const image = await buildImage([{ files: { 'one.txt': 'one\n'.repeat(100_000) } }, { files: { 'data.bin': randomBytes(3_000_000), 'two.txt': 'two\n' } }]);
      const name = `${registry.proxyHost}/stream/loaded`;
      await load(image, `${name}:1`);
      const from = registry.proxiedRequests.length;
      const answer = await push(name, '1');
      assert.equal(answer.status, 200, answer.body.toString());
      const lines = progressLines(answer.body);
      assert.ok(!lines.some((line) => line.error !== undefined), answer.body.toString());
      const digest = (lines.at(-1)?.aux as { Digest: string }).Digest;
      const manifest = pushedManifest(registry, digest);
      const requests = registry.proxiedRequests.slice(from);

      const patches = streamedPatches(requests);
      assert.equal(patches.length, 2, JSON.stringify(requests.map(({ method, url, status }) => ({ method, url, status }))));
      // The token a PATCH needs was got for the POST before it: no PATCH is refused.
      assert.deepEqual(patches.map((patch) => patch.status), [202, 202]);
      assert.equal(requests.filter((request) => request.method === 'PATCH').length, 2);
      assert.deepEqual(closedUploads(requests), [...manifest.layers.map((layer) => layer.digest), image.id].sort());

      for (const [index, layer] of manifest.layers.entries()) {
        const pushed = readFileSync(registry.blobPath(layer.digest));
        assert.equal(pushed.length, layer.size);
        assert.deepEqual(pushed, readFileSync(join(daemon.dataRoot, 'blobs/sha256', layer.digest.slice(7))), 'the blob pushed is the one kept');
        assert.deepEqual(gunzipSync(pushed), image.layers[index]!.tar);
        const id = image.layers[index]!.diffId.slice(7, 19);
        const pushing = lines.filter((line) => line.id === id && line.status === 'Pushing');
        assert.ok(pushing.length > 0, JSON.stringify(lines));
        assert.deepEqual(pushing.at(-1)?.progressDetail, { current: image.layers[index]!.tar.length, total: image.layers[index]!.tar.length });
        assert.ok(lines.some((line) => line.id === id && line.status === 'Pushed'));
      }
      const chainIds = [image.layers[0]!.diffId, sha256(Buffer.from(`${image.layers[0]!.diffId} ${image.layers[1]!.diffId}`))];
      assert.deepEqual(chainIds.map((chainId) => keptForms(daemon, chainId).map((form) => form.digest)), manifest.layers.map((layer) => [layer.digest]));
      assert.deepEqual(blobTemporaries(daemon), []);

      const fresh = await TestDaemon.start({ seed: false });
      try {
        const pulled = await fresh.api('POST', `/v1.44/images/create?fromImage=${encodeURIComponent(name)}&tag=1`, { headers: credentials });
        assert.equal(pulled.status, 200, pulled.body.toString());
        assert.deepEqual(progressLines(pulled.body).at(-2), { status: `Digest: ${digest}` });
        const inspect = JSON.parse(fresh.berth(['image', 'inspect', `${name}:1`]).stdout)[0];
        assert.equal(inspect.Id, image.id);
        assert.deepEqual(inspect.RootFS.Layers, image.layers.map((layer) => layer.diffId));
      } finally {
        await fresh.stop();
      }

      const copy = `${registry.proxyHost}/stream/copy`;
      assert.equal(daemon.berth(['tag', `${name}:1`, `${copy}:1`]).status, 0);
      const again = await push(copy, '1');
      assert.equal((progressLines(again.body).at(-1)?.aux as { Digest: string }).Digest, digest, 'the kept gzips make the same manifest');
      assert.equal(progressLines(again.body).filter((line) => String(line.status).startsWith('Mounted from')).length, 2);
    });

    if (auth !== 'none') return;

    it('streams the first push of an imported image too', async () => {
      const tar = (await buildImage([{ files: { 'imported.txt': 'imported\n'.repeat(50_000) } }])).layers[0]!.tar;
      const name = `${registry.proxyHost}/stream/imported`;
      const imported = daemon.berth(['import', '-', `${name}:1`], { input: tar });
      assert.equal(imported.status, 0, imported.stderr);
      const from = registry.proxiedRequests.length;
      const answer = await push(name, '1');
      const lines = progressLines(answer.body);
      assert.ok(!lines.some((line) => line.error !== undefined), answer.body.toString());
      const manifest = pushedManifest(registry, (lines.at(-1)?.aux as { Digest: string }).Digest);
      assert.equal(streamedPatches(registry.proxiedRequests.slice(from)).length, 1);
      assert.deepEqual(gunzipSync(readFileSync(registry.blobPath(manifest.layers[0]!.digest))), tar);
    });

    it('keeps the gzip when the registry dies mid-upload, says why, leaves no temporaries, and a later push sends the kept gzip', async () => {
      const image = await buildImage([{ files: { 'big.bin': randomBytes(12_000_000) } }]);
      const name = `${registry.proxyHost}/stream/dies`;
      await load(image, `${name}:1`);
      const held = registry.holdNextUploadAfter(1_000_000);
      const pushing = push(name, '1');
      let answer: Awaited<typeof pushing>;
      try {
        await held;
        await registry.kill();
        answer = await pushing;
      } finally {
        await registry.restart();
      }
      assert.equal(answer.status, 200);
      // The failure is the last attempt's: the gzip was sent again from the store, and the registry was still down.
      assert.match(String(progressLines(answer.body).at(-1)?.error), /^unexpected status from HEAD request to http:\/\/127\.0\.0\.1:\d+\/v2\/stream\/dies\/blobs\/sha256:[0-9a-f]{64}: 502 Bad Gateway$/);
      assert.deepEqual(blobTemporaries(daemon), []);
      const [kept] = keptForms(daemon, image.layers[0]!.diffId);
      assert.ok(kept !== undefined, 'the gzip made is kept');
      assert.deepEqual(gunzipSync(readFileSync(join(daemon.dataRoot, 'blobs/sha256', kept.digest.slice(7)))), image.layers[0]!.tar);

      const from = registry.proxiedRequests.length;
      const retry = await push(name, '1');
      const lines = progressLines(retry.body);
      assert.ok(!lines.some((line) => line.error !== undefined), retry.body.toString());
      assert.equal(registry.proxiedRequests.slice(from).filter((request) => request.method === 'PATCH').length, 0, 'the kept gzip is sent whole');
      assert.deepEqual(pushedManifest(registry, (lines.at(-1)?.aux as { Digest: string }).Digest).layers, [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: kept.digest, size: kept.size }]);
    });

    it('sends the gzip made again from the store when the registry refuses the streamed upload', async () => {
      const image = await buildImage([{ files: { 'refused.bin': randomBytes(1_000_000) } }]);
      const name = `${registry.proxyHost}/stream/refused`;
      await load(image, `${name}:1`);
      const from = registry.proxiedRequests.length;
      registry.failNextRequests(500, 1, 'PATCH');
      const answer = await push(name, '1');
      const lines = progressLines(answer.body);
      assert.ok(!lines.some((line) => line.error !== undefined), answer.body.toString());
      const [kept] = keptForms(daemon, image.layers[0]!.diffId);
      assert.ok(kept !== undefined);
      const requests = registry.proxiedRequests.slice(from);
      assert.deepEqual(requests.filter((request) => request.method === 'PATCH').map((request) => request.status), [500]);
      const whole = requests.find((request) => request.method === 'PUT' && new URL(request.url, 'http://registry').searchParams.get('digest') === kept.digest);
      assert.equal(whole?.headers['content-length'], String(kept.size));
      assert.deepEqual(readFileSync(registry.blobPath(kept.digest)), readFileSync(join(daemon.dataRoot, 'blobs/sha256', kept.digest.slice(7))));
      assert.deepEqual(blobTemporaries(daemon), []);
    });

    it('abandons the upload and keeps nothing when the layer cannot be reproduced', async () => {
      const image = await buildImage([{ files: { 'damaged.bin': randomBytes(8_000_000) } }]);
      const name = `${registry.proxyHost}/stream/damaged`;
      await load(image, `${name}:1`);
      const file = join(daemon.dataRoot, 'layers', image.layers[0]!.diffId.slice(7), 'diff/damaged.bin');
      const content = readFileSync(file);
      content[content.length - 1] ^= 0xff;
      writeFileSync(file, content);
      const blobsBefore = storedBlobs(daemon);
      const from = registry.proxiedRequests.length;
      const answer = await push(name, '1');
      assert.match(String(progressLines(answer.body).at(-1)?.error), /reassembled into a \d+-byte tar with digest sha256:[0-9a-f]{64}, not its diff id/);
      assert.deepEqual(blobTemporaries(daemon), []);
      assert.deepEqual(storedBlobs(daemon), blobsBefore);
      assert.deepEqual(keptForms(daemon, image.layers[0]!.diffId), []);
      // The PATCH may not have gone out at all: the tar is short, so it fails about as soon as it starts.
      const requests = registry.proxiedRequests.slice(from);
      assert.ok(requests.filter((request) => request.method === 'PATCH').every((request) => request.status === undefined || request.status >= 400), JSON.stringify(requests));
      assert.deepEqual(closedUploads(requests), [], 'no upload is closed');
    });
  });
}
