import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CommandResult, TestDaemon, hasDockerCli, isRoot } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';

/** A real dockerd, where one runs on this machine: berth never needs it, these tests only compare. */
const DOCKERD = 'unix:///var/run/docker.sock';
const hasDockerd = hasDockerCli && spawnSync('docker', ['-H', DOCKERD, 'info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
const skip = !isRoot ? 'needs root' : !hasDockerd ? 'no dockerd answers on /var/run/docker.sock' : !hasRegistry ? 'needs docker-registry' : false;

/** The docker CLI against the real dockerd, asynchronously (the registry's helpers run in this process). */
function dockerd(args: string[]): Promise<CommandResult> {
  return new Promise((resolveRun) => {
    const child = spawn('docker', ['-H', DOCKERD, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolveRun({ status: code ?? 1, stdout, stderr }));
  });
}

describe('images travel between berth and a real dockerd', { skip }, () => {
  let daemon: TestDaemon;
  let registry: TestRegistry;
  let busyboxId: string;
  const tag = `berth-interop-${process.pid}:1`;

  before(async () => {
    daemon = await TestDaemon.start();
    registry = await TestRegistry.start();
    busyboxId = JSON.parse(daemon.berth(['image', 'inspect', 'busybox']).stdout)[0].Id;
  });
  after(async () => {
    await dockerd(['rmi', '-f', tag, `${registry?.host}/interop/from-docker:1`, `${registry?.host}/interop/from-berth:1`]);
    await daemon?.stop();
    await registry?.stop();
  });

  it('dockerd loads and runs what berth saves, and berth loads and runs what dockerd saves, with the same image id', async () => {
    const archive = join(daemon.dir, 'berth-save.tar');
    assert.equal(daemon.berth(['tag', 'busybox', tag]).status, 0);
    assert.equal(daemon.berth(['save', '-o', archive, tag]).status, 0);
    const loaded = await dockerd(['load', '-i', archive]);
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal((await dockerd(['image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim(), busyboxId);
    const ran = await dockerd(['run', '--rm', '--network', 'none', tag, 'echo', 'in dockerd']);
    assert.equal(ran.stdout, 'in dockerd\n', ran.stderr);

    const back = join(daemon.dir, 'docker-save.tar');
    const saved = await dockerd(['save', '-o', back, tag]);
    assert.equal(saved.status, 0, saved.stderr);
    assert.equal(daemon.berth(['rmi', tag]).status, 0);
    const reloaded = daemon.berth(['load', '-i', back]);
    assert.equal(reloaded.status, 0, reloaded.stderr);
    assert.equal(JSON.parse(daemon.berth(['image', 'inspect', tag]).stdout)[0].Id, busyboxId);
    assert.equal(daemon.berth(['run', '--rm', tag, 'echo', 'from dockerd']).stdout, 'from dockerd\n');
  });

  it('berth pulls what dockerd pushed, and dockerd pulls what berth pushed', async () => {
    // dockerd gets the image from berth first, whatever ran before.
    const archive = join(daemon.dir, 'for-push.tar');
    assert.equal(daemon.berth(['tag', 'busybox', tag]).status, 0);
    assert.equal(daemon.berth(['save', '-o', archive, tag]).status, 0);
    assert.equal((await dockerd(['load', '-i', archive])).status, 0);
    const fromDocker = `${registry.host}/interop/from-docker:1`;
    assert.equal((await dockerd(['tag', tag, fromDocker])).status, 0);
    const pushed = await dockerd(['push', fromDocker]);
    assert.equal(pushed.status, 0, pushed.stderr);
    const pulled = await daemon.berthAsync(['pull', fromDocker]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(JSON.parse(daemon.berth(['image', 'inspect', fromDocker]).stdout)[0].Id, busyboxId);

    const fromBerth = `${registry.host}/interop/from-berth:1`;
    assert.equal(daemon.berth(['tag', 'busybox', fromBerth]).status, 0);
    assert.equal((await daemon.berthAsync(['push', fromBerth])).status, 0);
    const dockerPull = await dockerd(['pull', fromBerth]);
    assert.equal(dockerPull.status, 0, dockerPull.stderr);
    assert.equal((await dockerd(['image', 'inspect', '--format', '{{.Id}}', fromBerth])).stdout.trim(), busyboxId);
  });
});
