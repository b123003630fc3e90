import { describe, it } from 'node:test';
import { bytesOf, scratchPaths, sha256 } from '../helpers/tar-fixtures.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBerthError } from '../../src/common/errors.js';
import { mknod } from '../../src/sys/libc.js';
import { applyLayer } from '../../src/tar/apply-layer.js';
import { BodyBatches } from '../../src/tar/body-batches.js';
import { readBodies } from '../../src/tar/body-reader.js';
import { assembleTar } from '../../src/tar/tar-split.js';
import { type TarEntryInput, writeTar } from '../../src/tar/writer.js';

const scratch = scratchPaths('berth-body-reader-');

/** Content that differs at every offset and between files, so a body read from the wrong place shows. */
function contentOf(seed: number, size: number): Buffer {
  const content = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let offset = 0; offset < size; offset += 4) content.writeUInt32LE((seed * 2654435761 + offset) >>> 0, offset);
  return content.subarray(0, size);
}

async function freshDir(): Promise<string> {
  const dir = scratch('dir');
  await mkdir(dir);
  return dir;
}

const SIZES = [0, 1, 511, 512, 513, 4096, 4097, 65_536, 100_003, 256 * 1024];

describe('the body reading thread', () => {
  it('gives every body its own bytes, in order, across batches', async () => {
    const root = await freshDir();
    await mkdir(join(root, 'a/b'), { recursive: true });
    const expected: Buffer[] = [];
    const batches = new BodyBatches();
    const queued = [];
    for (let index = 0; index < 45; index += 1) {
      const path = `${['', 'a/', 'a/b/'][index % 3]}file-${index}`;
      const content = contentOf(index, SIZES[index % SIZES.length]!);
      await writeFile(join(root, path), content);
      expected.push(content);
      queued.push(batches.queue({ root, path, size: content.length }));
    }
    for (const [index, body] of queued.entries()) assert.ok((await batches.take(body)).equals(expected[index]!), `body ${index}`);
  });

  it('refuses a symlink in place of a file or of a parent directory, and still reads the rest of the batch', async () => {
    const root = await freshDir();
    await mkdir(join(root, 'real'));
    await writeFile(join(root, 'real/x'), 'xx');
    await writeFile(join(root, 'plain'), 'plain');
    await symlink('plain', join(root, 'link'));
    await symlink('real', join(root, 'dir-link'));
    await symlink('/etc', join(root, 'etc'));
    const [first, link, throughLink, throughEtc, last] = await readBodies([
      { root, path: 'plain', size: 5 },
      { root, path: 'link', size: 5 },
      { root, path: 'dir-link/x', size: 2 },
      { root, path: 'etc/passwd', size: 1 },
      { root, path: 'real/x', size: 2 },
    ]);
    assert.equal(String(first), 'plain');
    assert.match(String(link), /ELOOP/);
    assert.equal((link as NodeJS.ErrnoException).code, 'ELOOP');
    assert.match(String(throughLink), /body path goes through "dir-link", which is not a directory/);
    assert.ok(isBerthError(throughLink) && throughLink.kind === 'internal');
    assert.match(String(throughEtc), /goes through "etc", which is not a directory/);
    assert.equal(String(last), 'xx');
  });

  it('refuses a file whose size is not the recorded one, one that is not a regular file, and a missing one', async () => {
    const root = await freshDir();
    await writeFile(join(root, 'short'), 'abc');
    await mkdir(join(root, 'dir'));
    mknod(join(root, 'fifo'), 0o010644);
    const [wrong, dir, fifo, missing] = await readBodies([
      { root, path: 'short', size: 5 },
      { root, path: 'dir', size: 0 },
      { root, path: 'fifo', size: 0 },
      { root, path: 'missing', size: 1 },
    ]);
    assert.equal((wrong as Error).message, `layer file ${root}/short has 3 bytes, its tar entry had 5`);
    assert.equal((dir as Error).message, `layer file ${root}/dir is no longer a regular file`);
    assert.equal((fifo as Error).message, `layer file ${root}/fifo is no longer a regular file`);
    assert.equal((missing as NodeJS.ErrnoException).code, 'ENOENT');
    assert.equal((missing as NodeJS.ErrnoException).path, `${root}/missing`);
  });

  // sysfs files claim 4096 bytes and hold fewer: a file that ends before its size.
  const sysfsFile = ['/sys/kernel/mm/transparent_hugepage/enabled', '/sys/power/state'].find(existsSync);
  it('refuses a file that ends before its size', { skip: sysfsFile === undefined ? 'no sysfs file to read' : false }, async () => {
    const [root, path] = [sysfsFile!.slice(0, sysfsFile!.lastIndexOf('/')), sysfsFile!.slice(sysfsFile!.lastIndexOf('/') + 1)];
    const size = statSync(sysfsFile!).size;
    const [shorter] = await readBodies([{ root, path, size }]);
    assert.equal((shorter as Error).message, `layer file ${sysfsFile} ended before the ${size} bytes its tar entry had`);
  });

  it('leaves no thread holding a process that is done', async () => {
    const root = await freshDir();
    await writeFile(join(root, 'file'), 'content');
    const script = join(root, 'read.mjs');
    await writeFile(
      script,
      `import { readBodies } from ${JSON.stringify(new URL('../../src/tar/body-reader.js', import.meta.url).href)};
      const [file, missing] = await readBodies([{ root: ${JSON.stringify(root)}, path: 'file', size: 7 }, { root: '/nonexistent', path: 'x', size: 1 }]);
      console.log(String(file), missing.code);`,
    );
    const started = performance.now();
    // Well under the 10 s after which an idle thread is ended: only an unreferenced one lets it exit sooner.
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 5000 });
    assert.equal(child.signal, null, `still running after ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'content ENOENT');
  });
});

describe('assemblies sharing the body reading thread', () => {
  const T0 = 1_600_000_000;
  const file = (path: string, body: Buffer): TarEntryInput => ({ header: { path, type: 'file', size: body.length, mtime: T0, mode: 0o644 }, body });

  async function layer(seed: number): Promise<{ tar: Buffer; diff: string; split: string }> {
    const entries: TarEntryInput[] = [{ header: { path: 'd/', type: 'directory', mtime: T0 } }];
    for (let index = 0; index < 120; index += 1) {
      const size = index % 40 === 7 ? 600_000 + index : SIZES[(index + seed) % SIZES.length]!;
      entries.push(file(index % 2 === 0 ? `d/f${index}` : `f${index}`, contentOf(seed * 1000 + index, size)));
    }
    const tar = await bytesOf(writeTar(entries));
    const dir = await freshDir();
    const diff = join(dir, 'diff');
    const split = join(dir, 'tar-split.gz');
    await applyLayer([tar], diff, { tarSplit: split });
    return { tar, diff, split };
  }

  it('give each its own exact tar, and a failure only to the one whose layer changed', async () => {
    const layers = await Promise.all([1, 2, 3, 4, 5].map(layer));
    await truncate(join(layers[2]!.diff, 'f61'), 1);
    for (let round = 0; round < 2; round += 1) {
      const results = await Promise.allSettled(layers.map(({ diff, split }) => bytesOf(assembleTar(diff, split))));
      for (const [index, result] of results.entries()) {
        if (index === 2) {
          assert.equal(result.status, 'rejected');
          assert.match(String((result as PromiseRejectedResult).reason), /f61 has 1 bytes, its tar entry had/);
        } else {
          assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
          assert.equal(sha256((result as PromiseFulfilledResult<Buffer>).value), sha256(layers[index]!.tar));
        }
      }
    }
  });

  it('fail cleanly when a large body goes through a symlink that is found out while earlier bodies are sent', async () => {
    const big = contentOf(7, 300 * 1024);
    const tar = await bytesOf(writeTar([file('first', contentOf(1, 1000)), { header: { path: 'sub/', type: 'directory', mtime: T0 } }, file('sub/big', big)]));
    const dir = await freshDir();
    await applyLayer([tar], join(dir, 'diff'), { tarSplit: join(dir, 'tar-split.gz') });
    await rm(join(dir, 'diff/sub'), { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    await writeFile(join(dir, 'elsewhere/big'), big);
    await symlink('../elsewhere', join(dir, 'diff/sub'));
    await assert.rejects(bytesOf(assembleTar(join(dir, 'diff'), join(dir, 'tar-split.gz'))), /goes through "sub", which is not a directory/);
  });
});
