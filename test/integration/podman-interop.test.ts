import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CommandResult, TestDaemon, isRoot } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';

const hasPodman = spawnSync('podman', ['--version']).status === 0;
const skip = !isRoot ? 'needs root' : !hasPodman ? 'podman not installed' : !hasRegistry ? 'needs docker-registry' : false;

/** podman, asynchronously (the registry's helpers run in this process). */
function podman(args: string[]): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    const child = spawn('podman', args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolveRun({ status: code ?? 1, stdout, stderr }));
  });
}

describe('images travel between berth and podman', { skip }, () => {
  let daemon: TestDaemon;
  let registry: TestRegistry;
  let busyboxId: string;
  const tag = `localhost/berth-interop-${process.pid}:1`;

  before(async () => {
    daemon = await TestDaemon.start();
    registry = await TestRegistry.start();
    busyboxId = JSON.parse(daemon.berth(['image', 'inspect', 'busybox']).stdout)[0].Id;
  });
  after(async () => {
    await podman(['rmi', '-f', tag, `${registry?.host}/interop/from-podman:1`, `${registry?.host}/interop/from-berth:1`]);
    await daemon?.stop();
    await registry?.stop();
  });

  it('podman loads what berth saves, and berth loads what podman saves: the image id survives both ways', async () => {
    const archive = join(daemon.dir, 'berth-save.tar');
    assert.equal(daemon.berth(['tag', 'busybox', tag]).status, 0);
    assert.equal(daemon.berth(['save', '-o', archive, tag]).status, 0);
    const loaded = await podman(['load', '-i', archive]);
    assert.equal(loaded.status, 0, loaded.stderr);
    const inPodman = await podman(['image', 'inspect', '--format', '{{.Id}}', tag]);
    assert.equal(`sha256:${inPodman.stdout.trim()}`, busyboxId);

    const back = join(daemon.dir, 'podman-save.tar');
    const saved = await podman(['save', '-o', back, tag]);
    assert.equal(saved.status, 0, saved.stderr);
    assert.equal(daemon.berth(['rmi', tag]).status, 0);
    const reloaded = daemon.berth(['load', '-i', back]);
    assert.equal(reloaded.status, 0, reloaded.stderr);
    assert.equal(JSON.parse(daemon.berth(['image', 'inspect', tag]).stdout)[0].Id, busyboxId);
    assert.equal(daemon.berth(['run', '--rm', tag, 'echo', 'from podman']).stdout, 'from podman\n');
  });

  it('berth pulls what podman pushed, and podman pulls what berth pushed', async () => {
    // podman gets the image from berth first, whatever ran before.
    const archive = join(daemon.dir, 'for-push.tar');
    assert.equal(daemon.berth(['tag', 'busybox', tag]).status, 0);
    assert.equal(daemon.berth(['save', '-o', archive, tag]).status, 0);
    assert.equal((await podman(['load', '-i', archive])).status, 0);
    const fromPodman = `${registry.host}/interop/from-podman:1`;
    assert.equal((await podman(['tag', tag, fromPodman])).status, 0);
    const pushed = await podman(['push', '--tls-verify=false', fromPodman]);
    assert.equal(pushed.status, 0, pushed.stderr);
    const pulled = await daemon.berthAsync(['pull', fromPodman]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(JSON.parse(daemon.berth(['image', 'inspect', fromPodman]).stdout)[0].Id, busyboxId);

    const fromBerth = `${registry.host}/interop/from-berth:1`;
    assert.equal(daemon.berth(['tag', 'busybox', fromBerth]).status, 0);
    assert.equal((await daemon.berthAsync(['push', fromBerth])).status, 0);
    const podmanPull = await podman(['pull', '--tls-verify=false', fromBerth]);
    assert.equal(podmanPull.status, 0, podmanPull.stderr);
    const id = await podman(['image', 'inspect', '--format', '{{.Id}}', fromBerth]);
    assert.equal(`sha256:${id.stdout.trim()}`, busyboxId);
  });
});
