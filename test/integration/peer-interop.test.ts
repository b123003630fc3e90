import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CommandResult, TestDaemon, hasDockerCli, isRoot } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';

/**
 * Another engine on this machine that images should travel to and from: berth never
 * needs one, these tests only compare. Each runs where its engine answers.
 */
interface Peer {
  name: string;
  command: string[];
  /** Why the peer's tests skip here, or false. */
  skip: string | false;
  /** Flags its push and pull need for the loopback registry (plain http). */
  registryFlags: string[];
  /** Its image id in berth's form (`sha256:…`). */
  imageId: (inspected: string) => string;
  /** How it runs a container here, when it can. */
  runArgs?: string[];
}

const DOCKERD = 'unix:///var/run/docker.sock';
const answers = (command: string[]): boolean => spawnSync(command[0]!, [...command.slice(1), 'info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

const peers: Peer[] = [
  {
    name: 'a real dockerd',
    command: ['docker', '-H', DOCKERD],
    skip: !hasDockerCli ? 'docker CLI not installed' : !answers(['docker', '-H', DOCKERD]) ? 'no dockerd answers on /var/run/docker.sock' : false,
    // dockerd treats 127.0.0.0/8 as an insecure registry by itself.
    registryFlags: [],
    imageId: (inspected) => inspected,
    runArgs: ['run', '--rm', '--network', 'none'],
  },
  {
    name: 'podman',
    command: ['podman'],
    skip: spawnSync('podman', ['--version']).status !== 0 ? 'podman not installed' : false,
    registryFlags: ['--tls-verify=false'],
    imageId: (inspected) => `sha256:${inspected}`,
    // No runArgs: podman's default rlimits exceed the hard limits of a host without CAP_SYS_RESOURCE.
  },
];

for (const peer of peers) {
  const skip = !isRoot ? 'needs root' : !hasRegistry ? 'needs docker-registry' : peer.skip;

  describe(`images travel between berth and ${peer.name}`, { skip }, () => {
    let daemon: TestDaemon;
    let registry: TestRegistry;
    let busyboxId: string;
    const tag = `localhost/berth-interop-${process.pid}:1`;

    /** The peer's CLI, asynchronously (the registry's helpers run in this process). */
    const run = (args: string[]): Promise<CommandResult> => new Promise((resolveRun) => {
      const child = spawn(peer.command[0]!, [...peer.command.slice(1), ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolveRun({ status: code ?? 1, stdout, stderr }));
    });
    const peerImageId = async (name: string): Promise<string> => peer.imageId((await run(['image', 'inspect', '--format', '{{.Id}}', name])).stdout.trim());
    /** The peer gets busybox from berth, as `tag`. */
    const loadIntoPeer = async (): Promise<void> => {
      const archive = join(daemon.dir, `to-${peer.command[0]}.tar`);
      assert.equal(daemon.berth(['tag', 'busybox', tag]).status, 0);
      assert.equal(daemon.berth(['save', '-o', archive, tag]).status, 0);
      const loaded = await run(['load', '-i', archive]);
      assert.equal(loaded.status, 0, loaded.stderr);
    };

    before(async () => {
      daemon = await TestDaemon.start();
      registry = await TestRegistry.start();
      busyboxId = JSON.parse(daemon.berth(['image', 'inspect', 'busybox']).stdout)[0].Id;
    });
    after(async () => {
      await run(['rmi', '-f', tag, `${registry?.host}/interop/from-peer:1`, `${registry?.host}/interop/from-berth:1`]);
      await daemon?.stop();
      await registry?.stop();
    });

    it(`${peer.name} loads what berth saves, and berth loads and runs what ${peer.name} saves, with the same image id`, async () => {
      await loadIntoPeer();
      assert.equal(await peerImageId(tag), busyboxId);
      if (peer.runArgs) {
        const ran = await run([...peer.runArgs, tag, 'echo', 'saved by berth']);
        assert.equal(ran.stdout, 'saved by berth\n', ran.stderr);
      }

      const back = join(daemon.dir, `from-${peer.command[0]}.tar`);
      const saved = await run(['save', '-o', back, tag]);
      assert.equal(saved.status, 0, saved.stderr);
      assert.equal(daemon.berth(['rmi', tag]).status, 0);
      const reloaded = daemon.berth(['load', '-i', back]);
      assert.equal(reloaded.status, 0, reloaded.stderr);
      assert.equal(JSON.parse(daemon.berth(['image', 'inspect', tag]).stdout)[0].Id, busyboxId);
      assert.equal(daemon.berth(['run', '--rm', tag, 'echo', `from ${peer.command[0]}`]).stdout, `from ${peer.command[0]}\n`);
    });

    it(`berth pulls what ${peer.name} pushed, and ${peer.name} pulls what berth pushed`, async () => {
      await loadIntoPeer();
      const fromPeer = `${registry.host}/interop/from-peer:1`;
      assert.equal((await run(['tag', tag, fromPeer])).status, 0);
      const pushed = await run(['push', ...peer.registryFlags, fromPeer]);
      assert.equal(pushed.status, 0, pushed.stderr);
      const pulled = await daemon.berthAsync(['pull', fromPeer]);
      assert.equal(pulled.status, 0, pulled.stderr);
      assert.equal(JSON.parse(daemon.berth(['image', 'inspect', fromPeer]).stdout)[0].Id, busyboxId);

      const fromBerth = `${registry.host}/interop/from-berth:1`;
      assert.equal(daemon.berth(['tag', 'busybox', fromBerth]).status, 0);
      assert.equal((await daemon.berthAsync(['push', fromBerth])).status, 0);
      const peerPull = await run(['pull', ...peer.registryFlags, fromBerth]);
      assert.equal(peerPull.status, 0, peerPull.stderr);
      assert.equal(await peerImageId(fromBerth), busyboxId);
    });
  });
}
