import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gnuHeader } from '../helpers/tar-fixtures.js';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { readTar } from '../../src/tar/reader.js';
import { type ByteSource, detectCompression } from '../../src/tar/decompress.js';
import { writeTar } from '../../src/tar/writer.js';

async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}


function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

async function listing(source: ByteSource): Promise<[string, string, string][]> {
  const result: [string, string, string][] = [];
  for await (const entry of readTar(source)) {
    result.push([entry.header.path, entry.header.linkpath, (await bytesOf(entry.body)).toString()]);
  }
  return result;
}

const sample = async (): Promise<Buffer> =>
  bytesOf(
    writeTar([
      { header: { path: 'a.txt', type: 'file', size: 5 }, body: Buffer.from('alpha') },
      { header: { path: 'b/', type: 'directory' } },
      { header: { path: 'b/c', type: 'file', size: 1000 }, body: Buffer.alloc(1000, 0x63) },
    ]),
  );

describe('tar reader', () => {
  it('reads GNU long names (L) and long link names (K)', async () => {
    const longName = `${'dir-'.repeat(40)}/file-with-a-long-name`;
    const longLink = `${'target-'.repeat(30)}end`;
    const nameData = Buffer.from(`${longName}\0`);
    const linkData = Buffer.from(`${longLink}\0`);
    const archive = Buffer.concat([
      gnuHeader({ name: '././@LongLink', typeflag: 'L', size: nameData.length }),
      padded(nameData),
      gnuHeader({ name: '././@LongLink', typeflag: 'K', size: linkData.length }),
      padded(linkData),
      gnuHeader({ name: longName.slice(0, 100), typeflag: '2', size: 0, linkname: longLink.slice(0, 100), mode: 0o777 }),
      gnuHeader({ name: 'plain', typeflag: '0', size: 2 }),
      padded(Buffer.from('hi')),
      Buffer.alloc(1024),
    ]);
    const entries = [];
    for await (const entry of readTar([archive])) entries.push(entry.header);
    assert.equal(entries.length, 2);
    assert.equal(entries[0]!.path, longName);
    assert.equal(entries[0]!.linkpath, longLink);
    assert.equal(entries[0]!.type, 'symlink');
    assert.equal(entries[0]!.mtime, 0o14531234567);
    // The long name applies to one entry only.
    assert.equal(entries[1]!.path, 'plain');
  });

  it('ignores the prefix field of GNU headers (it holds other data there)', async () => {
    const header = gnuHeader({ name: 'file', typeflag: '0', size: 0 });
    header.write('garbage', 345, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.deepEqual(await listing([Buffer.concat([header, Buffer.alloc(1024)])]), [['file', '', '']]);
  });

  it('reads base-256 size fields', async () => {
    const header = gnuHeader({ name: 'b256', typeflag: '0', size: 0 });
    header.fill(0, 124, 136);
    header[124] = 0x80;
    header[135] = 5;
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const archive = Buffer.concat([header, padded(Buffer.from('12345')), Buffer.alloc(1024)]);
    assert.deepEqual(await listing([archive]), [['b256', '', '12345']]);
  });

  it('reads gzip and zstd input transparently', async () => {
    const archive = await sample();
    const expected = await listing([archive]);
    assert.equal(expected.length, 3);
    assert.equal(detectCompression(gzipSync(archive)), 'gzip');
    assert.deepEqual(await listing(Readable.from([gzipSync(archive)])), expected);
    assert.equal(detectCompression(zstdCompressSync(archive)), 'zstd');
    assert.deepEqual(await listing(Readable.from([zstdCompressSync(archive)])), expected);
  });

  it('reads input split into odd-sized chunks', async () => {
    const archive = await sample();
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < archive.length; offset += 7) chunks.push(archive.subarray(offset, offset + 7));
    assert.deepEqual(await listing(chunks), await listing([archive]));
  });

  it('skips bodies that are not read', async () => {
    const names = [];
    for await (const entry of readTar([await sample()])) names.push(entry.header.path);
    assert.deepEqual(names, ['a.txt', 'b/', 'b/c']);
  });

  it('refuses a truncated archive', async () => {
    const archive = await sample();
    await assert.rejects(listing([archive.subarray(0, 1200)]), { kind: 'invalid-argument', message: /unexpected end/ });
  });

  it('refuses a corrupt header', async () => {
    const archive = Buffer.from(await sample());
    archive[0] = 0x5a;
    await assert.rejects(listing([archive]), { kind: 'invalid-argument', message: /checksum/ });
  });

  it('refuses a bad gzip stream', async () => {
    const compressed = gzipSync(await sample());
    compressed[20] = compressed[20]! ^ 0xff;
    await assert.rejects(listing([compressed]));
  });

  it('accepts an archive that ends after a single zero block or none', async () => {
    const archive = await sample();
    const withoutEnd = archive.subarray(0, archive.length - 1024);
    assert.equal((await listing([withoutEnd])).length, 3);
    assert.equal((await listing([archive.subarray(0, archive.length - 512)])).length, 3);
  });
});
