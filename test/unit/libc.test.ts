import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { lgetxattr, llistxattr, lsetxattr, makeDevice, mknod, splitDevice, XATTR_CREATE } from '../../src/sys/libc.js';

let directory: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'berth-libc-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('device numbers', () => {
  it('encode and decode as glibc makedev does', () => {
    assert.equal(makeDevice(1, 3), 0x103n);
    assert.equal(makeDevice(8, 17), 0x811n);
    for (const [major, minor] of [
      [0, 0],
      [259, 65536],
      [4095, 255],
      [4096, 1 << 20],
    ] as const) {
      assert.deepEqual(splitDevice(makeDevice(major, minor)), { major, minor });
    }
  });
});

describe('mknod', () => {
  it('creates an overlay whiteout (character device 0/0)', async () => {
    const path = join(directory, 'whiteout');
    mknod(path, constants.S_IFCHR, 0, 0);
    const stats = await lstat(path);
    assert.equal(stats.isCharacterDevice(), true);
    assert.equal(stats.rdev, 0);
  });

  it('creates devices with their numbers and fifos', async () => {
    mknod(join(directory, 'null'), constants.S_IFCHR | 0o666, 1, 3);
    const device = await lstat(join(directory, 'null'));
    assert.deepEqual(splitDevice(device.rdev), { major: 1, minor: 3 });
    mknod(join(directory, 'fifo'), constants.S_IFIFO | 0o600);
    assert.equal((await lstat(join(directory, 'fifo'))).isFIFO(), true);
  });

  it('throws a Node-shaped error with the errno code', () => {
    assert.throws(() => mknod(join(directory, 'null'), constants.S_IFIFO | 0o600), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'EEXIST');
      assert.equal(error.errno, -17);
      assert.equal(error.syscall, 'mknod');
      assert.equal(error.path, join(directory, 'null'));
      assert.match(error.message, /^EEXIST: /);
      return true;
    });
  });
});

describe('xattrs', () => {
  it('set, get and list binary values exactly', async () => {
    const path = join(directory, 'file');
    await writeFile(path, 'x');
    const value = Buffer.from([0x00, 0xff, 0x00, 0x0a, 0x80]);
    lsetxattr(path, 'user.binary', value);
    lsetxattr(path, 'user.text', Buffer.from('y'));
    assert.deepEqual(lgetxattr(path, 'user.binary'), value);
    assert.deepEqual(llistxattr(path).sort(), ['user.binary', 'user.text']);
  });

  it('work on a symlink itself, not its target', async () => {
    const target = join(directory, 'target');
    const link = join(directory, 'link');
    await writeFile(target, '');
    await symlink(target, link);
    lsetxattr(link, 'trusted.mark', Buffer.from('on-link'));
    assert.equal(lgetxattr(link, 'trusted.mark').toString(), 'on-link');
    assert.throws(() => lgetxattr(target, 'trusted.mark'), { code: 'ENODATA' });
  });

  it('report ENODATA, ENOENT and EEXIST as codes', async () => {
    const path = join(directory, 'plain');
    await writeFile(path, '');
    assert.deepEqual(llistxattr(path), []);
    assert.throws(() => lgetxattr(path, 'user.none'), { code: 'ENODATA', syscall: 'lgetxattr' });
    assert.throws(() => llistxattr(join(directory, 'missing')), { code: 'ENOENT' });
    lsetxattr(path, 'user.once', Buffer.from('1'), XATTR_CREATE);
    assert.throws(() => lsetxattr(path, 'user.once', Buffer.from('2'), XATTR_CREATE), { code: 'EEXIST' });
  });
});

describe('mallocTrim', () => {
  it('hands freed heap memory back to the kernel', () => {
    // In a child with --expose-gc, so the Buffers are surely freed before the trim.
    const script = `
      import { mallocTrim } from ${JSON.stringify(new URL('../../src/sys/libc.js', import.meta.url).href)};
      import { readFileSync } from 'node:fs';
      const rss = () => Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
      // Mid-sized Buffers, below glibc's mmap threshold, so they live in the malloc heap.
      let burst = Array.from({ length: 1500 }, () => Buffer.alloc(60 * 1024, 1));
      burst = undefined;
      globalThis.gc();
      const before = rss();
      mallocTrim();
      console.log(JSON.stringify({ before, after: rss() }));
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const { before, after } = JSON.parse(child.stdout) as { before: number; after: number };
    assert.ok(before - after > 40_000, `RSS ${before} kB before the trim, ${after} kB after`);
  });
});
