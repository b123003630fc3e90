import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/store/digest.js';
import { RegistryAccess } from '../../src/image/registry/registry-access.js';
import { readBody } from '../../src/image/registry/registry-http.js';
import { isRoot } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';

const skip = !isRoot ? 'needs root' : !hasRegistry ? 'needs docker-registry (Debian package)' : false;

describe('registry client against a real registry (token auth)', { skip }, () => {
  let registry: TestRegistry;
  const credentials = { username: 'tester', password: 'secret-pass' };

  before(async () => {
    registry = await TestRegistry.start({ auth: 'token' });
  });
  after(async () => {
    await registry?.stop();
  });

  it('uploads a blob in chunks, then reads it back whole and from an offset', async () => {
    const client = new RegistryAccess().client(registry.host, credentials, { forPush: true });
    const blob = randomBytes(700_000);
    const digest = sha256Digest(blob);
    assert.equal(await client.blobExists('client/chunked', digest), false);
    let url = await client.startUpload('client/chunked');
    for (let start = 0; start < blob.length; start += 256 * 1024) {
      const chunk = blob.subarray(start, Math.min(start + 256 * 1024, blob.length));
      url = await client.uploadChunk('client/chunked', url, chunk, start, chunk.length);
    }
    await client.finishUpload('client/chunked', url, digest);
    assert.equal(await client.blobExists('client/chunked', digest), true);
    const whole = await readBody(await client.openBlob('client/chunked', digest, 0));
    assert.equal(sha256Digest(whole), digest);
    const tail = await client.openBlob('client/chunked', digest, 600_000);
    assert.equal(tail.status, 206);
    assert.equal(sha256Digest(await readBody(tail)), sha256Digest(blob.subarray(600_000)));
  });

  it('refuses a chunked upload closed with the wrong digest, and mounts a blob across repositories', async () => {
    const client = new RegistryAccess().client(registry.host, credentials, { forPush: true });
    const blob = randomBytes(10_000);
    const url = await client.startUpload('client/wrong');
    const next = await client.uploadChunk('client/wrong', url, blob, 0, blob.length);
    await assert.rejects(client.finishUpload('client/wrong', next, sha256Digest(Buffer.from('other'))), /digest/i);
    const digest = sha256Digest(blob);
    await client.uploadWhole('client/source', await client.startUpload('client/source'), digest, blob, blob.length);
    assert.deepEqual(await client.mountBlob('client/target', digest, 'client/source'), { mounted: true });
    assert.equal(await client.blobExists('client/target', digest), true);
  });

  it('asks the token server once for many concurrent reads of one scope', async () => {
    const client = new RegistryAccess().client(registry.host, credentials);
    const blob = randomBytes(1000);
    const digest = await registry.putBlob('client/tokens', blob);
    const before = registry.tokenRequests;
    const bodies = await Promise.all(Array.from({ length: 8 }, async () => readBody(await client.openBlob('client/tokens', digest as `sha256:${string}`, 0))));
    assert.ok(bodies.every((body) => body.equals(blob)));
    assert.equal(registry.tokenRequests - before, 1);
  });

  it('lists tags across pages of the Link header', async () => {
    const client = new RegistryAccess().client(registry.host, credentials, { forPush: true });
    const config = Buffer.from('{}');
    const configDigest = await registry.putBlob('client/tags', config);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers: [] }));
    for (const tag of ['a', 'b', 'c']) await registry.putManifest('client/tags', tag, 'application/vnd.oci.image.manifest.v1+json', manifest);
    assert.deepEqual((await client.listTags('client/tags', undefined, 2)).sort(), ['a', 'b', 'c']);
    assert.deepEqual((await client.listTags('client/tags')).sort(), ['a', 'b', 'c']);
  });
});
