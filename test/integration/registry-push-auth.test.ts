import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDaemon, hasDockerCli, isRoot } from '../helpers/daemon.js';
import { type RegistryAuth, TestRegistry, hasRegistry } from '../helpers/registry.js';
import { buildImage, progressLines, putImage, registryAuth } from '../helpers/registry-images.js';

const skip = !isRoot ? 'needs root' : !hasRegistry ? 'needs docker-registry (Debian package)' : false;

for (const auth of ['none', 'basic', 'token'] as RegistryAuth[]) {
  describe(`push, pull and login with a registry (auth: ${auth})`, { skip }, () => {
    let registry: TestRegistry;
    let daemon: TestDaemon;
    let credentials: Record<string, string>;
    let sourceDigest: string;
    let imageId: string;

    before(async () => {
      registry = await TestRegistry.start({ auth });
      daemon = await TestDaemon.start();
      credentials = auth === 'none' ? {} : { 'X-Registry-Auth': registryAuth('tester', 'secret-pass', registry.host) };
      const image = await buildImage([{ busybox: true }, { files: { 'pushed.txt': 'round trip\n' } }]);
      imageId = image.id;
      sourceDigest = await putImage(registry, 'push/source', 'v1', image);
    });
    after(async () => {
      await daemon?.stop();
      await registry?.stop();
    });

    const pull = (name: string, tag: string, headers = credentials) =>
      daemon.api('POST', `/v1.44/images/create?fromImage=${encodeURIComponent(name)}&tag=${tag}`, { headers });
    const push = (name: string, tag: string, headers = credentials) =>
      daemon.api('POST', `/v1.44/images/${encodeURIComponent(name)}/push?tag=${tag}`, { headers });

    if (auth === 'basic') {
      it("refuses a pull without credentials in docker's words", async () => {
        const answer = await pull(`${registry.host}/push/source`, 'v1', {});
        assert.equal(answer.status, 404);
        assert.match(
          JSON.parse(answer.body.toString()).message,
          new RegExp(`^pull access denied for ${registry.host}/push/source, repository does not exist or may require 'docker login'`),
        );
      });
    }

    if (auth === 'token') {
      it('pulls anonymously where the token server allows it, and refuses an anonymous push', async () => {
        assert.equal((await pull(`${registry.host}/push/source`, 'v1', {})).status, 200);
        const answer = await push(`${registry.host}/push/source`, 'v1', {});
        const failure = answer.status === 200 ? String(progressLines(answer.body).at(-1)?.error) : JSON.parse(answer.body.toString()).message;
        assert.match(failure, /unauthorized|denied|authentication required/);
      });
    }

    if (auth !== 'none') {
      it('checks credentials on POST /auth, never answering from a token got with other ones', async () => {
        const login = (password: string) =>
          daemon.api('POST', '/v1.44/auth', {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username: 'tester', password, serveraddress: registry.host }),
          });
        const good = await login('secret-pass');
        assert.equal(good.status, 200, good.body.toString());
        assert.deepEqual(JSON.parse(good.body.toString()), { Status: 'Login Succeeded', IdentityToken: '' });
        const bad = await login('wrong');
        assert.equal(bad.status, 401);
        assert.ok(JSON.parse(bad.body.toString()).message.length > 0);
      });
    }

    it('pushes a pulled image to another repository by mounting its blobs; the digest stays the same', async () => {
      assert.equal((await pull(`${registry.host}/push/source`, 'v1')).status, 200);
      assert.equal(daemon.berth(['tag', `${registry.host}/push/source:v1`, `${registry.host}/push/copy:v2`]).status, 0);
      const tokensBefore = auth === 'token' ? registry.tokenRequests : 0;
      const answer = await push(`${registry.host}/push/copy`, 'v2');
      assert.equal(answer.status, 200, answer.body.toString());
      const lines = progressLines(answer.body);
      assert.equal(lines[0]?.status, `The push refers to repository [${registry.host}/push/copy]`);
      assert.equal(lines.filter((line) => String(line.status).startsWith('Mounted from push/source') || String(line.status) === `Mounted from ${registry.host}/push/source`).length, 2, JSON.stringify(lines));
      assert.ok(lines.some((line) => line.status === `v2: digest: ${sourceDigest} size: ${String((lines.at(-1)?.aux as { Size: number }).Size)}`), JSON.stringify(lines));
      assert.deepEqual(lines.at(-1), { progressDetail: {}, aux: { Tag: 'v2', Digest: sourceDigest, Size: (lines.at(-1)?.aux as { Size: number }).Size } });
      if (auth === 'token') assert.ok(registry.tokenRequests - tokensBefore <= 3, `token requests: ${registry.tokenRequests - tokensBefore}`);
      const again = progressLines((await push(`${registry.host}/push/copy`, 'v2')).body);
      assert.equal(again.filter((line) => line.status === 'Layer already exists').length, 2);
    });

    it('pulls the pushed image back after removing it: same id, same digest, it runs', async () => {
      assert.equal(daemon.berth(['rmi', `${registry.host}/push/source:v1`, `${registry.host}/push/copy:v2`]).status, 0);
      const answer = await pull(`${registry.host}/push/copy`, 'v2');
      assert.equal(answer.status, 200);
      assert.deepEqual(progressLines(answer.body).at(-2), { status: `Digest: ${sourceDigest}` });
      const inspect = JSON.parse(daemon.berth(['image', 'inspect', `${registry.host}/push/copy:v2`]).stdout)[0];
      assert.equal(inspect.Id, imageId);
      assert.equal(daemon.berth(['run', '--rm', `${registry.host}/push/copy:v2`, 'cat', '/pushed.txt']).stdout, 'round trip\n');
    });

    it('pushes an image made here: its layer is gzipped from its exact tar once, then pulled back as the same image', async () => {
      const busybox = JSON.parse(daemon.berth(['image', 'inspect', 'busybox']).stdout)[0];
      assert.equal(daemon.berth(['tag', 'busybox', `${registry.host}/push/local:1`]).status, 0);
      const first = await push(`${registry.host}/push/local`, '1');
      assert.equal(first.status, 200);
      const lines = progressLines(first.body);
      assert.ok(lines.some((line) => line.status === 'Pushed'), JSON.stringify(lines));
      const digest = (lines.at(-1)?.aux as { Digest: string }).Digest;
      assert.equal(daemon.berth(['tag', 'busybox', `${registry.host}/push/local2:1`]).status, 0);
      const second = progressLines((await push(`${registry.host}/push/local2`, '1')).body);
      assert.equal((second.at(-1)?.aux as { Digest: string }).Digest, digest, 'the kept gzip gives the same manifest');
      assert.equal(daemon.berth(['rmi', `${registry.host}/push/local:1`]).status, 0);
      const fresh = await TestDaemon.start({ seed: false });
      try {
        const pulled = await fresh.api('POST', `/v1.44/images/create?fromImage=${encodeURIComponent(`${registry.host}/push/local`)}&tag=1`, { headers: credentials });
        assert.equal(pulled.status, 200, pulled.body.toString());
        assert.equal(JSON.parse(fresh.berth(['image', 'inspect', `${registry.host}/push/local:1`]).stdout)[0].Id, busybox.Id);
        assert.equal(fresh.berth(['run', '--rm', `${registry.host}/push/local:1`, 'echo', 'pushed busybox']).stdout, 'pushed busybox\n');
      } finally {
        await fresh.stop();
      }
    });

    it('works with the berth CLI: login, push, pull, logout', async () => {
      const env = { DOCKER_CONFIG: `${daemon.dir}/berth-config` };
      if (auth !== 'none') {
        const login = await daemon.berthAsync(['login', '-u', 'tester', '--password-stdin', registry.host], { input: 'secret-pass\n', env });
        assert.equal(login.status, 0, login.stderr);
        assert.match(login.stdout, /Login Succeeded/);
      }
      assert.equal((await daemon.berthAsync(['tag', 'busybox', `${registry.host}/push/berth-cli:1`])).status, 0);
      const pushed = await daemon.berthAsync(['push', `${registry.host}/push/berth-cli:1`], { env });
      assert.equal(pushed.status, 0, pushed.stderr);
      assert.match(pushed.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
      assert.equal((await daemon.berthAsync(['rmi', `${registry.host}/push/berth-cli:1`])).status, 0);
      const pulled = await daemon.berthAsync(['pull', `${registry.host}/push/berth-cli:1`], { env });
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.match(pulled.stdout, /Status: (Downloaded newer image|Image is up to date) for /);
      if (auth === 'basic') {
        assert.equal((await daemon.berthAsync(['logout', registry.host], { env })).status, 0);
        const denied = await daemon.berthAsync(['pull', `${registry.host}/push/berth-cli:1`], { env });
        assert.equal(denied.status, 1);
        assert.match(denied.stderr, /pull access denied/);
      }
    });

    it('refuses to push an image it does not have', async () => {
      const answer = await push(`${registry.host}/push/absent`, 'v1');
      assert.equal(answer.status, 404);
      assert.equal(JSON.parse(answer.body.toString()).message, `An image does not exist locally with the tag: ${registry.host}/push/absent`);
    });

    it('finds repositories with search through the registry catalog', async () => {
      await putImage(registry, 'search/findable', 'v1', await buildImage([{ files: { 'found.txt': 'found\n' } }]));
      const answer = await daemon.api('GET', `/v1.44/images/search?term=${encodeURIComponent(`${registry.host}/search/find`)}`, { headers: credentials });
      assert.equal(answer.status, 200, answer.body.toString());
      assert.deepEqual(JSON.parse(answer.body.toString()), [
        { name: `${registry.host}/search/findable`, description: '', star_count: 0, is_official: false, is_automated: false },
      ]);
    });

    it('works with the real docker CLI: login, push, pull, logout', { skip: hasDockerCli ? false : 'docker CLI not installed' }, async () => {
      if (auth !== 'none') {
        const login = await daemon.dockerAsync(['login', '-u', 'tester', '--password-stdin', registry.host], { input: 'secret-pass\n' });
        assert.equal(login.status, 0, login.stderr);
        assert.match(login.stdout, /Login Succeeded/);
      }
      const source = await daemon.dockerAsync(['pull', `${registry.host}/push/source:v1`]);
      assert.equal(source.status, 0, source.stderr);
      assert.equal((await daemon.dockerAsync(['tag', `${registry.host}/push/source:v1`, `${registry.host}/push/cli:v3`])).status, 0);
      const pushed = await daemon.dockerAsync(['push', `${registry.host}/push/cli:v3`]);
      assert.equal(pushed.status, 0, pushed.stderr);
      assert.match(pushed.stdout, new RegExp(`v3: digest: ${sourceDigest} size: \\d+`));
      assert.equal((await daemon.dockerAsync(['rmi', `${registry.host}/push/cli:v3`])).status, 0);
      const pulled = await daemon.dockerAsync(['pull', `${registry.host}/push/cli:v3`]);
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.match(pulled.stdout, /Status: Downloaded newer image|Status: Image is up to date/);
      if (auth !== 'none') {
        assert.equal((await daemon.dockerAsync(['logout', registry.host])).status, 0);
      }
      if (auth === 'basic') {
        const denied = await daemon.dockerAsync(['pull', `${registry.host}/push/cli:v3`]);
        assert.equal(denied.status, 1);
        assert.match(denied.stderr, /pull access denied/);
      }
    });
  });
}
