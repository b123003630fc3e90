import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, isRoot } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';
import { buildImage, progressLines, putImage, putIndex } from '../helpers/registry-images.js';

const skip = !isRoot ? 'needs root' : !hasRegistry ? 'needs docker-registry (Debian package)' : false;

/** What a failed pull could leave behind: layer directories, blobs, temporaries. */
function storeContents(daemon: TestDaemon): string[] {
  const listing: string[] = [];
  for (const dir of ['layers', 'blobs/sha256', 'blobs/tmp', 'layers/tmp', 'images']) {
    const path = join(daemon.dataRoot, dir);
    // The temporary areas themselves may come and go; what they hold is listed on its own.
    if (existsSync(path)) for (const name of readdirSync(path)) if (name !== 'tmp') listing.push(`${dir}/${name}`);
  }
  return listing.sort();
}

describe('pull from a registry', { skip }, () => {
  let registry: TestRegistry;
  let daemon: TestDaemon;

  before(async () => {
    registry = await TestRegistry.start({ proxy: true });
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
    await registry?.stop();
  });

  const pull = (name: string, tag: string, extra = '') =>
    daemon.api('POST', `/v1.44/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}${extra}`);

  it('pulls a three-layer image by tag with docker progress messages, and runs it', async () => {
    const image = await buildImage([{ busybox: true }, { files: { 'one.txt': 'first\n' } }, { files: { 'two.txt': 'second\n' } }]);
    const digest = await putImage(registry, 'pull/three', 'v1', image);
    const answer = await pull(`${registry.host}/pull/three`, 'v1');
    assert.equal(answer.status, 200, answer.body.toString());
    const lines = progressLines(answer.body);
    assert.deepEqual(lines[0], { status: `Pulling from ${registry.host}/pull/three`, progressDetail: {}, id: 'v1' });
    for (const layer of image.layers) {
      const id = layer.digest.slice(7, 19);
      const statuses = lines.filter((line) => line.id === id).map((line) => line.status);
      assert.equal(statuses[0], 'Pulling fs layer');
      assert.ok(statuses.includes('Download complete'), statuses.join());
      assert.equal(statuses.at(-1), 'Pull complete');
    }
    assert.deepEqual(lines.slice(-2), [{ status: `Digest: ${digest}` }, { status: `Status: Downloaded newer image for ${registry.host}/pull/three:v1` }]);
    const inspect = JSON.parse(daemon.berth(['image', 'inspect', `${registry.host}/pull/three:v1`]).stdout)[0];
    assert.equal(inspect.Id, image.id);
    assert.deepEqual(inspect.RepoDigests, [`${registry.host}/pull/three@${digest}`]);
    const listed = daemon.berth(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}', `${registry.host}/pull/three`]);
    assert.equal(listed.stdout, `${registry.host}/pull/three v1 ${digest}\n`, listed.stderr);
    const table = daemon.berth(['images', '--digests', `${registry.host}/pull/three`]).stdout.split('\n');
    assert.match(table[0]!, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.match(table[1]!, new RegExp(`^${registry.host}/pull/three\\s+v1\\s+${digest}\\s+${image.id.slice(7, 19)}\\s`));
    const run = daemon.berth(['run', '--rm', `${registry.host}/pull/three:v1`, 'cat', '/one.txt', '/two.txt']);
    assert.equal(run.stdout, 'first\nsecond\n', run.stderr);
  });

  it('reports pull, tag, untag and delete as image events', async () => {
    const image = await buildImage([{ files: { 'e.txt': 'events' } }]);
    await putImage(registry, 'pull/events', 'v1', image);
    const since = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await pull(`${registry.host}/pull/events`, 'v1')).status, 200);
    assert.equal(daemon.berth(['tag', `${registry.host}/pull/events:v1`, 'events:copy']).status, 0);
    assert.equal(daemon.berth(['rmi', 'events:copy', `${registry.host}/pull/events:v1`]).status, 0);
    const until = Math.floor(Date.now() / 1000) + 1;
    const answer = await daemon.api('GET', `/v1.44/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['image'] }))}`);
    // Only this test's image: other tests of the file may pull in the same second.
    const events = progressLines(answer.body)
      .map((event) => [event.Action, (event.Actor as { ID: string }).ID])
      .filter(([, id]) => id === image.id || id === `${registry.host}/pull/events:v1`);
    assert.deepEqual(events.slice(0, 3), [
      ['pull', `${registry.host}/pull/events:v1`],
      ['tag', image.id],
      ['untag', image.id],
    ]);
    assert.ok(events.some(([action, id]) => action === 'delete' && id === image.id), JSON.stringify(events));
  });

  it('says the image is up to date on a second pull, and pulls by digest', async () => {
    const image = await buildImage([{ files: { 'a.txt': 'a' } }]);
    const digest = await putImage(registry, 'pull/again', 'v1', image);
    assert.equal((await pull(`${registry.host}/pull/again`, 'v1')).status, 200);
    const again = progressLines((await pull(`${registry.host}/pull/again`, 'v1')).body);
    assert.deepEqual(again.at(-1), { status: `Status: Image is up to date for ${registry.host}/pull/again:v1` });
    assert.ok(!again.some((line) => line.status === 'Pulling fs layer'));
    const byDigest = await pull(`${registry.host}/pull/again`, digest);
    assert.equal(byDigest.status, 200);
    assert.deepEqual(progressLines(byDigest.body).at(-1), { status: `Status: Image is up to date for ${registry.host}/pull/again@${digest}` });
  });

  it('chooses the host platform from a multi-arch index, another with platform=, and records the index digest', async () => {
    const amd64 = await buildImage([{ files: { 'arch.txt': 'amd64\n' } }], { label: 'amd64' });
    const arm64 = await buildImage([{ files: { 'arch.txt': 'arm64\n' } }], { architecture: 'arm64', variant: 'v8', label: 'arm64' });
    const indexDigest = await putIndex(registry, 'pull/multi', 'v1', [
      { image: arm64, architecture: 'arm64', variant: 'v8' },
      { image: amd64, architecture: 'amd64' },
    ]);
    assert.equal((await pull(`${registry.host}/pull/multi`, 'v1')).status, 200);
    const inspect = JSON.parse(daemon.berth(['image', 'inspect', `${registry.host}/pull/multi:v1`]).stdout)[0];
    assert.equal(inspect.Id, process.arch === 'arm64' ? arm64.id : amd64.id);
    assert.deepEqual(inspect.RepoDigests, [`${registry.host}/pull/multi@${indexDigest}`]);
    const other = process.arch === 'arm64' ? 'linux/amd64' : 'linux/arm64';
    assert.equal((await pull(`${registry.host}/pull/multi`, 'v1', `&platform=${encodeURIComponent(other)}`)).status, 200);
    const switched = JSON.parse(daemon.berth(['image', 'inspect', `${registry.host}/pull/multi:v1`]).stdout)[0];
    assert.equal(switched.Id, process.arch === 'arm64' ? amd64.id : arm64.id);
    const none = await pull(`${registry.host}/pull/multi`, 'v1', '&platform=linux%2Fs390x');
    assert.equal(none.status, 404);
    assert.match(JSON.parse(none.body.toString()).message, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  it('pulls zstd layers of an OCI image', async () => {
    const image = await buildImage([{ busybox: true, compression: 'zstd' }, { files: { 'z.txt': 'zstd\n' }, compression: 'zstd' }]);
    await putImage(registry, 'pull/zstd', 'v1', image);
    assert.equal((await pull(`${registry.host}/pull/zstd`, 'v1')).status, 200);
    assert.equal(daemon.berth(['run', '--rm', `${registry.host}/pull/zstd:v1`, 'cat', '/z.txt']).stdout, 'zstd\n');
  });

  it("answers an unknown tag with docker's 404 and stores nothing", async () => {
    const before = storeContents(daemon);
    const answer = await pull(`${registry.host}/pull/three`, 'nope');
    assert.equal(answer.status, 404);
    assert.equal(JSON.parse(answer.body.toString()).message, `manifest for ${registry.host}/pull/three:nope not found: manifest unknown: manifest unknown`);
    const unknownRepo = await pull(`${registry.host}/pull/never`, 'v1');
    assert.equal(unknownRepo.status, 404);
    assert.match(JSON.parse(unknownRepo.body.toString()).message, /name unknown|not found/);
    assert.deepEqual(storeContents(daemon), before);
  });

  it('fails a pull whose layer blob was corrupted, leaving nothing behind', async () => {
    const image = await buildImage([{ files: { 'good.txt': 'good\n' } }, { files: { 'bad.txt': 'x'.repeat(100_000) } }]);
    await putImage(registry, 'pull/corrupt', 'v1', image);
    const bad = image.layers[1]!;
    const path = registry.blobPath(bad.digest);
    const tampered = Buffer.from(readFileSync(path));
    tampered[tampered.length - 20] ^= 0xff;
    writeFileSync(path, tampered);
    const before = storeContents(daemon);
    const answer = await pull(`${registry.host}/pull/corrupt`, 'v1');
    const lines = progressLines(answer.body);
    assert.match(String(lines.at(-1)?.error), new RegExp(`filesystem layer verification failed for digest ${bad.digest}`));
    assert.deepEqual(storeContents(daemon), before);
    assert.equal(daemon.berth(['image', 'inspect', `${registry.host}/pull/corrupt:v1`]).status, 1);
  });

  it('resumes a layer download the registry cut short, and retries reads it answered with 503', async () => {
    const image = await buildImage([{ files: { 'big.bin': randomBytes(3_000_000) } }, { busybox: true }]);
    await putImage(registry, 'pull/resume', 'v1', image);
    registry.cutBlobDownloadsAfter(100_000, 2);
    const cut = await pull(`${registry.proxyHost}/pull/resume`, 'v1');
    assert.equal(cut.status, 200, cut.body.toString());
    assert.ok(!progressLines(cut.body).some((line) => line.error !== undefined), cut.body.toString());
    assert.equal(daemon.berth(['run', '--rm', `${registry.proxyHost}/pull/resume:v1`, 'ls', '-l', '/big.bin']).status, 0);
    registry.failNextRequests(503, 2);
    const flaky = await pull(`${registry.proxyHost}/pull/resume`, 'v1');
    assert.equal(flaky.status, 200, flaky.body.toString());
  });

  it('fails clearly when the registry dies mid-pull, keeps nothing, and a later pull succeeds', async () => {
    const image = await buildImage([{ files: { 'big.bin': randomBytes(2_000_000) } }, { files: { 'small.txt': 'small\n' } }]);
    await putImage(registry, 'pull/dies', 'v1', image);
    const before = storeContents(daemon);
    // Slow the pull down (a cut every 50 kB, each resumed) so that the registry dies in its middle.
    registry.cutBlobDownloadsAfter(50_000, 1000);
    const pulling = pull(`${registry.proxyHost}/pull/dies`, 'v1');
    await new Promise((resolve) => setTimeout(resolve, 700));
    await registry.kill();
    let answer: Awaited<typeof pulling>;
    try {
      answer = await pulling;
    } finally {
      registry.cutBlobDownloadsAfter(0, 0);
      await registry.restart();
    }
    const last = progressLines(answer.body).at(-1);
    assert.match(String(last?.error), /download of sha256:[0-9a-f]{64} failed after 5 attempts: .*registry unreachable/);
    assert.deepEqual(storeContents(daemon), before);
    const retry = await pull(`${registry.proxyHost}/pull/dies`, 'v1');
    assert.equal(retry.status, 200);
    assert.deepEqual(progressLines(retry.body).at(-1), { status: `Status: Downloaded newer image for ${registry.proxyHost}/pull/dies:v1` });
  });

  it('stops a pull whose client went away and keeps nothing of it', async () => {
    const image = await buildImage([{ files: { 'big.bin': randomBytes(2_000_000) } }]);
    await putImage(registry, 'pull/abandoned', 'v1', image);
    const before = storeContents(daemon);
    registry.cutBlobDownloadsAfter(50_000, 1000);
    try {
      const controller = new AbortController();
      const req = request({
        socketPath: daemon.socket,
        method: 'POST',
        path: `/v1.44/images/create?fromImage=${encodeURIComponent(`${registry.proxyHost}/pull/abandoned`)}&tag=v1`,
        signal: controller.signal,
      });
      req.on('error', () => {});
      req.end();
      await new Promise((resolve) => setTimeout(resolve, 700));
      controller.abort();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && JSON.stringify(storeContents(daemon)) !== JSON.stringify(before)) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(storeContents(daemon), before);
    } finally {
      registry.cutBlobDownloadsAfter(0, 0);
    }
    assert.equal(daemon.berth(['image', 'inspect', `${registry.proxyHost}/pull/abandoned:v1`]).status, 1);
  });

  it('answers a registry that is down with the connection error', async () => {
    await registry.kill();
    try {
      const answer = await pull(`${registry.host}/pull/three`, 'v1');
      assert.equal(answer.status, 503);
      assert.match(JSON.parse(answer.body.toString()).message, new RegExp(`dial tcp ${registry.host.replace('.', '\\.')}: connect: connection refused`));
    } finally {
      await registry.restart();
    }
  });
});
