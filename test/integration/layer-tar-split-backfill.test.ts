import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { LayerStore } from '../../src/image/layer-store.js';
import { writeTar } from '../../src/tar/writer.js';
import { isRoot } from '../helpers/daemon.js';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const entries = Object.entries(files).map(([path, text]) => ({ header: { path, type: 'file' as const, mode: 0o644, size: Buffer.byteLength(text), mtime: 1_700_000_000 }, body: Buffer.from(text) }));
  for await (const chunk of writeTar(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('a layer stored without a tar-split (an older berth)', { skip: isRoot ? false : 'needs root (layers keep ownership)' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-backfill-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gets the tar-split of the same content registered again, and can then be reassembled exactly', async () => {
    const layers = new LayerStore(join(dir, 'layers'), join(dir, 'l'));
    const tar = await tarOf({ 'a.txt': 'alpha\n', 'b/c.txt': 'gamma\n' });
    const pin = layers.pin();
    const first = await layers.register(Readable.from([tar]), null, pin);
    await rm(join(dir, 'layers', first.chainId.slice(7), 'tar-split.gz'));
    assert.equal(await layers.canReassemble(first.chainId), false);
    const again = await layers.register(Readable.from([tar]), null, pin);
    assert.equal(again.chainId, first.chainId);
    assert.equal(await layers.canReassemble(first.chainId), true);
    const hash = createHash('sha256');
    for await (const chunk of layers.openTar(first.chainId)) hash.update(chunk as Buffer);
    assert.equal(`sha256:${hash.digest('hex')}`, first.diffId);
    pin.release();
  });
});
