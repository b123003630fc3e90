import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostDevices, resolveDevices } from '../../src/engine/host-devices.js';
import { readHostFacts } from '../../src/runtime/host-facts.js';

describe('resolveDevices', () => {
  it('reads a device node: type, major, minor, mode, owner, the container path and permissions', async () => {
    const [device] = await resolveDevices([{ PathOnHost: '/dev/null', PathInContainer: '/dev/mine', CgroupPermissions: 'rw' }]);
    assert.deepEqual(device, { path: '/dev/mine', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0, access: 'rw' });
    const [same] = await resolveDevices([{ PathOnHost: '/dev/zero' }]);
    assert.equal(same!.path, '/dev/zero');
    assert.equal(same!.access, 'rwm');
  });

  it('refuses a missing path and a file that is not a device, in docker\'s words', async () => {
    await assert.rejects(resolveDevices([{ PathOnHost: '/dev/no-such-device' }]), /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
    const dir = mkdtempSync(join(tmpdir(), 'berth-dev-'));
    try {
      writeFileSync(join(dir, 'plain'), '');
      await assert.rejects(resolveDevices([{ PathOnHost: join(dir, 'plain') }]), /not a device node/);
      assert.deepEqual(await resolveDevices([{ PathOnHost: dir }]), [], 'a directory without devices gives none');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostDevices', () => {
  it('lists the host\'s device nodes under /dev, without pts, shm or the console', async () => {
    const devices = await hostDevices();
    assert.ok(devices.some((device) => device.path === '/dev/null' && device.major === 1 && device.minor === 3));
    assert.ok(!devices.some((device) => device.path.startsWith('/dev/pts/') || device.path === '/dev/console'));
  });
});

describe('readHostFacts', () => {
  it('reads online CPUs and nodes, and what the cgroups offer', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-facts-'));
    try {
      mkdirSync(join(root, 'sys', 'cpu'), { recursive: true });
      writeFileSync(join(root, 'sys', 'cpu', 'online'), '0-3\n');
      mkdirSync(join(root, 'cg', 'memory'), { recursive: true });
      mkdirSync(join(root, 'cg', 'blkio'), { recursive: true });
      writeFileSync(join(root, 'cg', 'memory', 'memory.swappiness'), '60\n');
      const layout = { version: 1 as const, hybrid: false, repairs: [], problems: [], swapAccounting: false };
      assert.deepEqual(await readHostFacts(layout, join(root, 'cg'), join(root, 'sys')), { onlineCpus: '0-3', onlineMems: '0', swappiness: true, blkioWeight: false, blkioThrottle: false });
      writeFileSync(join(root, 'cg', 'cgroup.controllers'), 'cpu io memory\n');
      assert.deepEqual(await readHostFacts({ ...layout, version: 2 }, join(root, 'cg'), join(root, 'sys')), { onlineCpus: '0-3', onlineMems: '0', swappiness: false, blkioWeight: true, blkioThrottle: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
