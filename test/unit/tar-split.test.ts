import { describe, it } from 'node:test';
import { bytesOf, gnuHeader, scratchPaths, sha256 } from '../helpers/tar-fixtures.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, link, mkdir, readFile, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { applyLayer } from '../../src/tar/apply-layer.js';
import { packDirectory } from '../../src/tar/pack.js';
import { TarSplitWriter, assembleTar, keptBodiesDir } from '../../src/tar/tar-split.js';
import { type TarEntryInput, writeTar } from '../../src/tar/writer.js';
import { lsetxattr, mknod } from '../../src/sys/libc.js';

const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? false : 'needs root (device nodes, whiteouts, ownership)';
const hasGnuTar = (() => {
  try {
    return execFileSync('tar', ['--version'], { encoding: 'utf8' }).includes('GNU tar');
  } catch {
    return false;
  }
})();

/** vfs_cap_data v2 for cap_net_raw+ep, as `setcap cap_net_raw+ep` stores it. */
const NET_RAW_CAPABILITY = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const T0 = 1_600_000_000;

const scratch = scratchPaths('berth-tar-split-');
const tarOf = (entries: TarEntryInput[]): Promise<Buffer> => bytesOf(writeTar(entries));
const file = (path: string, content: string | Buffer, extra: Partial<TarEntryInput['header']> = {}): TarEntryInput => {
  const body = Buffer.from(content);
  return { header: { path, type: 'file', size: body.length, mtime: T0, mode: 0o644, ...extra }, body };
};

/** Splits a buffer into chunks of `size`, so records and bodies straddle chunk boundaries. */
function chunked(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) chunks.push(data.subarray(offset, offset + size));
  return chunks;
}

interface Unpacked {
  diff: string;
  split: string;
}

async function unpack(tar: Buffer, chunkSize = 4096): Promise<Unpacked> {
  const dir = scratch('layer');
  await mkdir(dir);
  const diff = join(dir, 'diff');
  const split = join(dir, 'tar-split.gz');
  const applied = await applyLayer(chunked(tar, chunkSize), diff, { tarSplit: split });
  assert.equal(applied.tarSize, tar.length);
  assert.equal(applied.diffId, `sha256:${sha256(tar)}`);
  return { diff, split };
}

/** Unpacks, reassembles, and checks the reassembled stream is the original, byte for byte. */
async function roundTrip(tar: Buffer, chunkSize?: number): Promise<Unpacked> {
  const unpacked = await unpack(tar, chunkSize);
  const assembled = await bytesOf(assembleTar(unpacked.diff, unpacked.split));
  assert.equal(assembled.length, tar.length);
  assert.equal(sha256(assembled), sha256(tar));
  return unpacked;
}


const padded = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

describe('tar-split round trips', () => {
  it('gives back a tar of plain files, empty files, a 512-byte file and big files, whatever the input chunking', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let index = 0; index < big.length; index += 4096) big[index] = index % 251;
    const tar = await tarOf([
      { header: { path: 'dir/', type: 'directory', mtime: T0 } },
      file('dir/empty', ''),
      file('dir/block', Buffer.alloc(512, 0x61)),
      file('dir/odd', 'x'.repeat(1000)),
      file('dir/medium', Buffer.alloc(300 * 1024, 0x62)),
      file('big', big),
    ]);
    for (const chunkSize of [1000, 512, 65536, 7 * 1024 * 1024]) {
      const { split } = await roundTrip(tar, chunkSize);
      // Bodies are references, not copies: the split holds headers, padding and paths.
      assert.ok(gunzipSync(await readFile(split)).length < 8 * 1024, 'file bodies are not kept in the split');
    }
  });

  it('keeps trailing zero padding to a 10240-byte record and bytes after the end marker', async () => {
    const tar = await tarOf([file('a', 'alpha')]);
    const record = Buffer.concat([tar, Buffer.alloc(10240 - (tar.length % 10240))]);
    assert.equal(record.length % 10240, 0);
    await roundTrip(record);
    await roundTrip(Buffer.concat([tar, Buffer.from('trailing garbage is part of the diff id')]));
  });

  it('keeps pax headers: long names and link targets, big ids, binary xattrs', { skip: needsRoot }, async () => {
    const longDir = `${'directory-'.repeat(12)}/${'sub-'.repeat(30)}`;
    const unpacked = await roundTrip(
      await tarOf([
        { header: { path: `${longDir}/`, type: 'directory', mtime: T0 } },
        file(`${longDir}/${'long-file-name-'.repeat(10)}`, 'long'),
        file('caps', 'binary', { xattrs: new Map([['security.capability', NET_RAW_CAPABILITY], ['user.raw', Buffer.from([0, 0xff, 0x0a, 0x3d])]]) }),
        file('owned', 'ids', { uid: 3_000_000, gid: 3_000_001 }),
        { header: { path: 'link', type: 'symlink', linkpath: `/${'target-'.repeat(30)}`, mtime: T0 } },
      ]),
    );
    assert.ok(existsSync(join(unpacked.diff, 'caps')));
  });

  it('keeps GNU long names (L) and long link names (K) written by hand', async () => {
    const longName = `${'dir-'.repeat(40)}/file-with-a-long-name`;
    const longLink = `${'target-'.repeat(30)}end`;
    const nameData = Buffer.from(`${longName}\0`);
    const linkData = Buffer.from(`${longLink}\0`);
    const fileName = Buffer.from(`${'g'.repeat(150)}\0`);
    await roundTrip(
      Buffer.concat([
        gnuHeader({ name: '././@LongLink', typeflag: 'L', size: nameData.length }),
        padded(nameData),
        gnuHeader({ name: '././@LongLink', typeflag: 'K', size: linkData.length }),
        padded(linkData),
        gnuHeader({ name: longName.slice(0, 100), typeflag: '2', size: 0, linkname: longLink.slice(0, 100), mode: 0o777 }),
        gnuHeader({ name: '././@LongLink', typeflag: 'L', size: fileName.length }),
        padded(fileName),
        gnuHeader({ name: 'g'.repeat(100), typeflag: '0', size: 3 }),
        padded(Buffer.from('abc')),
        Buffer.alloc(1024),
      ]),
    );
  });

  it('keeps hardlinks, whiteouts, opaque directories, devices and fifos', { skip: needsRoot }, async () => {
    const unpacked = await roundTrip(
      await tarOf([
        { header: { path: 'etc/', type: 'directory', mtime: T0 } },
        file('etc/passwd', 'root:x:0:0\n'),
        { header: { path: 'etc/passwd-link', type: 'hardlink', linkpath: 'etc/passwd', mtime: T0 } },
        file('etc/.wh.shadow', ''),
        { header: { path: 'opaque/', type: 'directory', mtime: T0 } },
        file('opaque/.wh..wh..opq', ''),
        file('.wh..wh.plnk/123.456', 'aufs hardlink store: not a file of the layer'),
        { header: { path: 'dev/', type: 'directory', mtime: T0 } },
        { header: { path: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime: T0 } },
        { header: { path: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, mtime: T0 } },
        { header: { path: 'dev/pipe', type: 'fifo', mode: 0o600, mtime: T0 } },
      ]),
    );
    assert.deepEqual((await readdir(unpacked.diff)).sort(), ['dev', 'etc', 'opaque']);
  });

  it('keeps the body of a file a later entry replaces or removes', { skip: needsRoot }, async () => {
    const unpacked = await roundTrip(
      await tarOf([
        file('twice', 'first version'),
        file('twice', 'second, longer version'),
        { header: { path: 'tree/', type: 'directory', mtime: T0 } },
        file('tree/inner', 'below a directory that a file replaces'),
        file('tree', 'now a file'),
        file('hidden', 'whited out later'),
        file('.wh.hidden', ''),
        file('linked', 'replaced by a hardlink'),
        file('other', 'the hardlink target'),
        { header: { path: 'linked', type: 'hardlink', linkpath: 'other', mtime: T0 } },
      ]),
    );
    assert.equal((await readdir(keptBodiesDir(unpacked.split))).length, 4);
  });

  it('keeps what a tar made by GNU tar holds, in its gnu and posix formats', { skip: !hasGnuTar || !isRoot ? 'needs GNU tar and root' : false }, async () => {
    const tree = scratch('tree');
    const deep = join(tree, 'a'.repeat(60), 'b'.repeat(60));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, `${'c'.repeat(120)}.txt`), 'deep and long');
    await writeFile(join(tree, 'block'), Buffer.alloc(512, 1));
    await writeFile(join(tree, 'empty'), '');
    await writeFile(join(tree, 'caps'), 'capable');
    lsetxattr(join(tree, 'caps'), 'security.capability', NET_RAW_CAPABILITY);
    lsetxattr(join(tree, 'caps'), 'user.comment', Buffer.from('ümlaut'));
    await link(join(tree, 'block'), join(tree, 'block-link'));
    await symlink('block', join(tree, 'symlink'));
    mknod(join(tree, 'fifo'), 0o010644);
    for (const format of ['gnu', 'posix']) {
      const tar = execFileSync('tar', [`--format=${format}`, '--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', tree, '-cf', '-', '.']);
      await roundTrip(tar, 10240);
    }
  });

  it("keeps what berth's own writer makes of a directory", { skip: needsRoot }, async () => {
    const tree = scratch('tree');
    await mkdir(join(tree, 'x/y'), { recursive: true });
    await writeFile(join(tree, 'x/y/z'), 'zzz');
    await writeFile(join(tree, 'x/big'), Buffer.alloc(2 * 1024 * 1024, 7));
    await symlink('../x', join(tree, 'x/y/up'));
    await roundTrip(await bytesOf(packDirectory(tree)));
  });
});

describe('tar-split assembly refuses what is not the recorded layer', () => {
  const sample = (): Promise<Buffer> => tarOf([file('a', 'alpha'), file('sub/b', 'bravo')]);

  it('fails when a file is shorter or longer than recorded', async () => {
    const shorter = await unpack(await sample());
    await truncate(join(shorter.diff, 'a'), 2);
    await assert.rejects(bytesOf(assembleTar(shorter.diff, shorter.split)), /layer file .*\/a has 2 bytes, its tar entry had 5/);
    const longer = await unpack(await sample());
    await appendFile(join(longer.diff, 'sub/b'), 'more');
    await assert.rejects(bytesOf(assembleTar(longer.diff, longer.split)), /has 9 bytes, its tar entry had 5/);
  });

  it('does not follow a symlink in place of a directory or a file', async () => {
    const unpacked = await unpack(await sample());
    await rm(join(unpacked.diff, 'sub'), { recursive: true });
    await symlink('/etc', join(unpacked.diff, 'sub'));
    await assert.rejects(bytesOf(assembleTar(unpacked.diff, unpacked.split)), /goes through "sub", which is not a directory/);
    const again = await unpack(await sample());
    await rm(join(again.diff, 'a'));
    await symlink('/etc/hostname', join(again.diff, 'a'));
    await assert.rejects(bytesOf(assembleTar(again.diff, again.split)), /ELOOP/);
  });

  it("refuses a recorded path with '..'", async () => {
    const dir = scratch('forged');
    await mkdir(join(dir, 'diff'), { recursive: true });
    const writer = new TarSplitWriter(join(dir, 'tar-split.gz'));
    writer.raw(Buffer.alloc(512));
    writer.fileBody('../outside', 3);
    await writer.finish();
    await writeFile(join(dir, 'outside'), 'abc');
    await assert.rejects(bytesOf(assembleTar(join(dir, 'diff'), join(dir, 'tar-split.gz'))), /refusing body path "..\/outside"/);
  });

  it('fails on a truncated split file', async () => {
    const unpacked = await unpack(await sample());
    const raw = gunzipSync(await readFile(unpacked.split));
    await writeFile(unpacked.split, gzipSync(raw.subarray(0, raw.length - 3)));
    await assert.rejects(bytesOf(assembleTar(unpacked.diff, unpacked.split)), /corrupt tar-split metadata/);
  });

  it('leaves no split file when unpacking fails', async () => {
    const dir = scratch('failed');
    await mkdir(dir);
    const tar = await sample();
    await assert.rejects(applyLayer([tar.subarray(0, 700)], join(dir, 'diff'), { tarSplit: join(dir, 'tar-split.gz') }), /unexpected end/);
    assert.deepEqual(await readdir(dir), []);
  });
});
