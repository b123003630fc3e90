import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { LayerStore } from '../../src/image/layer-store.js';
import { markTopDirectory } from '../../src/sys/top-directory.js';
import { writeTar } from '../../src/tar/writer.js';
import { isRoot } from '../helpers/daemon.js';

/** The attributes lsattr(1) reads, independently of berth's ioctl ('' where the file system has none). */
function attributes(path: string): string {
  const listed = spawnSync('lsattr', ['-d', path], { encoding: 'utf8' });
  return listed.status === 0 ? listed.stdout.split(' ')[0]! : '';
}

/** ext2, ext3 and ext4 (one magic number) have the attribute; tmpfs, for one, lists flags but refuses it. */
function isExtFileSystem(path: string): boolean {
  return spawnSync('stat', ['-f', '-c', '%T', path], { encoding: 'utf8' }).stdout.trim() === 'ext2/ext3';
}

describe('layer placement on the file system', { skip: isRoot ? false : 'needs root (layers keep ownership)' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-placement-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("markTopDirectory sets chattr's T where the file system has it (ext2/3/4), and says whether it did", async () => {
    const target = join(dir, 'top');
    await mkdir(target);
    assert.equal(attributes(target).includes('T'), false);
    const marked = markTopDirectory(target);
    assert.equal(marked, attributes(target).includes('T'), `markTopDirectory said ${marked}, lsattr shows ${attributes(target)}`);
    if (isExtFileSystem(dir)) assert.equal(marked, true);
    assert.equal(markTopDirectory(target), marked, 'marking again changes nothing');
  });

  it('layers are unpacked below a directory marked as the top of unrelated hierarchies', async () => {
    const layers = new LayerStore(join(dir, 'layers'), join(dir, 'l'));
    const chunks: Buffer[] = [];
    for await (const chunk of writeTar([{ header: { path: 'a.txt', type: 'file', mode: 0o644, size: 2, mtime: 1 }, body: Buffer.from('a\n') }])) chunks.push(chunk);
    const pin = layers.pin();
    await layers.register(Readable.from([Buffer.concat(chunks)]), null, pin);
    pin.release();
    const shown = attributes(join(dir, 'layers', 'tmp'));
    assert.equal(shown.includes('T'), isExtFileSystem(dir), `lsattr shows ${shown}`);
  });
});
