import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { gzipSync } from 'node:zlib';
import { writeTar } from '../../src/tar/writer.js';
import { isRoot } from '../helpers/daemon.js';
import { httpRequest, type HttpResponse } from '../helpers/http.js';
import { REGISTRY_BINARY, TestRegistry, hasRegistry } from '../helpers/registry.js';

const skip = (!isRoot && 'needs root') || (!hasRegistry && `${REGISTRY_BINARY} is missing (Debian package docker-registry)`);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const USER = 'tester';
const PASSWORD = 'secret-pass';

const digestOf = (content: Buffer): string => `sha256:${createHash('sha256').update(content).digest('hex')}`;
const descriptor = (mediaType: string, content: Buffer) => ({ mediaType, digest: digestOf(content), size: content.length });
// Compared by length and digest: a failing assert.deepEqual on a large Buffer spends minutes building its diff.
function assertSameBytes(actual: Buffer, expected: Buffer): void {
  assert.deepEqual({ length: actual.length, digest: digestOf(actual) }, { length: expected.length, digest: digestOf(expected) });
}
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface TinyImage {
  config: Buffer;
  layer: Buffer;
  manifest: Buffer;
}

/** A one-file OCI image: config, a gzip layer written by berth's tar writer, manifest. */
async function tinyImage(): Promise<TinyImage> {
  const content = Buffer.from('hello from the registry harness\n');
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar([{ header: { path: 'hello.txt', type: 'file', size: content.length, mode: 0o644, mtime: 1_600_000_000 }, body: content }])) chunks.push(chunk);
  const tar = Buffer.concat(chunks);
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [digestOf(tar)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(OCI_CONFIG, config), layers: [descriptor(OCI_LAYER, layer)] }));
  return { config, layer, manifest };
}

/** Pushes the image with the harness, then reads it back over the API with `authorization`. */
async function pushAndReadBack(registry: TestRegistry, repo: string, authorization: () => Promise<Record<string, string>>): Promise<void> {
  const image = await tinyImage();
  assert.equal(await registry.putBlob(repo, image.config), digestOf(image.config));
  const layerDigest = await registry.putBlob(repo, image.layer);
  const manifestDigest = await registry.putManifest(repo, 'v1', OCI_MANIFEST, image.manifest);
  assert.equal(manifestDigest, digestOf(image.manifest));

  const manifest = await httpRequest(`${registry.url}/v2/${repo}/manifests/v1`, { headers: { ...(await authorization()), Accept: OCI_MANIFEST } });
  assert.equal(manifest.status, 200, manifest.body.toString());
  assert.equal(manifest.headers['content-type'], OCI_MANIFEST);
  assert.equal(manifest.headers['docker-content-digest'], manifestDigest);
  assert.equal(manifest.body.toString(), image.manifest.toString());
  const layer = await httpRequest(`${registry.url}/v2/${repo}/blobs/${layerDigest}`, { headers: await authorization() });
  assert.equal(layer.status, 200);
  assertSameBytes(layer.body, image.layer);
  assertSameBytes(readFileSync(registry.blobPath(layerDigest)), image.layer);
}

function getToken(registry: TestRegistry, scopes: string[], authorization?: string): Promise<HttpResponse> {
  const query = new URLSearchParams({ service: registry.service });
  for (const scope of scopes) query.append('scope', scope);
  return httpRequest(`${registry.tokenRealm}?${query}`, { headers: authorization === undefined ? {} : { Authorization: authorization } });
}

function jwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

describe('registry harness', { skip }, () => {
  describe('without auth', () => {
    let registry: TestRegistry | undefined;
    before(async () => {
      registry = await TestRegistry.start();
    });
    after(() => registry?.stop());

    it('listens on 127.0.0.1 and answers 200 on /v2/', async () => {
      assert.match(registry!.host, /^127\.0\.0\.1:\d+$/);
      const answer = await httpRequest(`${registry!.url}/v2/`);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['docker-distribution-api-version'], 'registry/2.0');
    });

    it('stores an image pushed with putBlob and putManifest and serves it back', async () => {
      await pushAndReadBack(registry!, 'harness/plain', async () => ({}));
    });

    it('deletes manifests (storage.delete.enabled)', async () => {
      const image = await tinyImage();
      await registry!.putBlob('harness/deleted', image.config);
      await registry!.putBlob('harness/deleted', image.layer);
      const digest = await registry!.putManifest('harness/deleted', 'gone', OCI_MANIFEST, image.manifest);
      assert.equal((await httpRequest(`${registry!.url}/v2/harness/deleted/manifests/${digest}`, { method: 'DELETE' })).status, 202);
      assert.equal((await httpRequest(`${registry!.url}/v2/harness/deleted/manifests/gone`, { headers: { Accept: OCI_MANIFEST } })).status, 404);
    });

    it('refuses connections once killed and keeps blobs across restart', async () => {
      const content = randomBytes(4096);
      const digest = await registry!.putBlob('harness/restart', content);
      await registry!.kill();
      await assert.rejects(httpRequest(`${registry!.url}/v2/`), { code: 'ECONNREFUSED' });
      await registry!.restart();
      const blob = await httpRequest(`${registry!.url}/v2/harness/restart/blobs/${digest}`);
      assert.equal(blob.status, 200);
      assertSameBytes(blob.body, content);
    });

    it('stop removes its directory and may be called twice', async () => {
      const other = await TestRegistry.start();
      try {
        assert.ok(existsSync(other.dir));
        await other.stop();
        assert.equal(existsSync(other.dir), false);
        await assert.rejects(httpRequest(`${other.url}/v2/`), { code: 'ECONNREFUSED' });
      } finally {
        await other.stop();
      }
    });
  });

  describe('with basic auth', () => {
    let registry: TestRegistry | undefined;
    before(async () => {
      registry = await TestRegistry.start({ auth: 'basic' });
    });
    after(() => registry?.stop());

    it('challenges with Basic and accepts only the right password', async () => {
      const anonymous = await httpRequest(`${registry!.url}/v2/`);
      assert.equal(anonymous.status, 401);
      assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="[^"]+"$/);
      assert.equal((await httpRequest(`${registry!.url}/v2/`, { headers: { Authorization: basic(USER, 'wrong') } })).status, 401);
      assert.equal((await httpRequest(`${registry!.url}/v2/`, { headers: { Authorization: basic(USER, PASSWORD) } })).status, 200);
    });

    it('stores an image pushed with putBlob and putManifest and serves it back', async () => {
      await pushAndReadBack(registry!, 'harness/basic', async () => ({ Authorization: basic(USER, PASSWORD) }));
    });
  });

  describe('with token auth', () => {
    let registry: TestRegistry | undefined;
    before(async () => {
      registry = await TestRegistry.start({ auth: 'token' });
    });
    after(() => registry?.stop());

    it('challenges with Bearer, naming the token server and the service', async () => {
      const answer = await httpRequest(`${registry!.url}/v2/`);
      assert.equal(answer.status, 401);
      assert.equal(answer.headers['www-authenticate'], `Bearer realm="${registry!.tokenRealm}",service="${registry!.service}"`);
      assert.match(registry!.tokenRealm, /^http:\/\/127\.0\.0\.1:\d+\/token$/);
    });

    it('gives anonymous callers pull only, users what they ask for, wrong passwords 401', async () => {
      const before = registry!.tokenRequests;
      const scopes = ['repository:harness/token:pull,push', 'repository:harness/other:push'];

      const anonymous = await getToken(registry!, scopes);
      assert.equal(anonymous.status, 200);
      const anonymousToken = JSON.parse(anonymous.body.toString()) as { token: string; access_token: string; expires_in: number; issued_at: string };
      assert.equal(anonymousToken.access_token, anonymousToken.token);
      assert.equal(typeof anonymousToken.expires_in, 'number');
      assert.ok(!Number.isNaN(Date.parse(anonymousToken.issued_at)));
      const header = jwtPart(anonymousToken.token, 0);
      assert.equal(header.alg, 'RS256');
      assert.equal((header.x5c as string[]).length, 1);
      assert.deepEqual(jwtPart(anonymousToken.token, 1).access, [
        { type: 'repository', name: 'harness/token', actions: ['pull'] },
        { type: 'repository', name: 'harness/other', actions: [] },
      ]);

      const user = await getToken(registry!, scopes, basic(USER, PASSWORD));
      assert.equal(user.status, 200);
      const userToken = (JSON.parse(user.body.toString()) as { token: string }).token;
      const claims = jwtPart(userToken, 1);
      assert.equal(claims.sub, USER);
      assert.equal(claims.aud, registry!.service);
      assert.deepEqual(claims.access, [
        { type: 'repository', name: 'harness/token', actions: ['pull', 'push'] },
        { type: 'repository', name: 'harness/other', actions: ['push'] },
      ]);
      assert.equal((await httpRequest(`${registry!.url}/v2/`, { headers: { Authorization: `Bearer ${userToken}` } })).status, 200);

      const wrong = await getToken(registry!, scopes, basic(USER, 'wrong'));
      assert.equal(wrong.status, 401);
      assert.equal(registry!.tokenRequests - before, 3);
    });

    it('stores an image pushed with putBlob and putManifest and serves it back', async () => {
      await pushAndReadBack(registry!, 'harness/token', async () => {
        const answer = await getToken(registry!, ['repository:harness/token:pull'], basic(USER, PASSWORD));
        return { Authorization: `Bearer ${(JSON.parse(answer.body.toString()) as { token: string }).token}` };
      });
    });

    it('lets an anonymous token pull but not push', async () => {
      const image = await tinyImage();
      await registry!.putBlob('harness/public', image.layer);
      const answer = await getToken(registry!, ['repository:harness/public:pull,push']);
      const authorization = `Bearer ${(JSON.parse(answer.body.toString()) as { token: string }).token}`;
      const pulled = await httpRequest(`${registry!.url}/v2/harness/public/blobs/${digestOf(image.layer)}`, { headers: { Authorization: authorization } });
      assert.equal(pulled.status, 200);
      const pushed = await httpRequest(`${registry!.url}/v2/harness/public/blobs/uploads/`, { method: 'POST', headers: { Authorization: authorization } });
      assert.equal(pushed.status, 401);
      // distribution lists the actions in Go map order, which changes from run to run.
      assert.match(String(pushed.headers['www-authenticate']), /scope="repository:harness\/public:(pull,push|push,pull)",error="insufficient_scope"/);
    });
  });

  describe('behind the fault proxy', () => {
    let registry: TestRegistry | undefined;
    let blob: Buffer;
    let blobUrl: string;
    before(async () => {
      registry = await TestRegistry.start({ proxy: true });
      blob = randomBytes(1 << 20);
      blobUrl = `http://${registry.proxyHost}/v2/harness/proxied/blobs/${await registry.putBlob('harness/proxied', blob)}`;
    });
    after(() => registry?.stop());

    it('passes traffic through unchanged and keeps connections alive', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await httpRequest(blobUrl, { agent });
        assert.equal(first.status, 200);
        assert.equal(first.complete, true);
        assertSameBytes(first.body, blob);
        const second = await httpRequest(`${registry!.proxyUrl}/v2/`, { agent });
        assert.equal(second.status, 200);
        assert.equal(second.reusedSocket, true);
      } finally {
        agent.destroy();
      }
    });

    it('cuts the next blob downloads after the given bytes and leaves other requests alone', async () => {
      registry!.cutBlobDownloadsAfter(1000, 2);
      const head = await httpRequest(blobUrl, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(blob.length));
      for (let cut = 0; cut < 2; cut++) {
        const answer = await httpRequest(blobUrl);
        assert.equal(answer.status, 200);
        assert.equal(answer.complete, false);
        assertSameBytes(answer.body, blob.subarray(0, 1000));
      }
      assertSameBytes((await httpRequest(blobUrl)).body, blob);

      registry!.cutBlobDownloadsAfter(0, 1);
      const headersOnly = await httpRequest(blobUrl);
      assert.equal(headersOnly.status, 200);
      assert.equal(headersOnly.complete, false);
      assert.equal(headersOnly.body.length, 0);
    });

    it('answers the next requests with the injected status, then passes again', async () => {
      registry!.failNextRequests(503, 2);
      assert.equal((await httpRequest(`${registry!.proxyUrl}/v2/`)).status, 503);
      assert.equal((await httpRequest(blobUrl)).status, 503);
      assert.equal((await httpRequest(`${registry!.proxyUrl}/v2/`)).status, 200);
    });

    it('answers 502 while the registry is killed and passes again after restart', async () => {
      await registry!.kill();
      assert.equal((await httpRequest(`${registry!.proxyUrl}/v2/`)).status, 502);
      await registry!.restart();
      assertSameBytes((await httpRequest(blobUrl)).body, blob);
    });
  });
});
