import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/**
 * Names for a test file's scratch paths, each new, under one temporary sandbox that node:test's
 * hooks create before the file's tests and remove after them. Call at the file's top level.
 */
export function scratchPaths(prefix: string): (name: string) => string {
  let sandbox = '';
  let counter = 0;
  before(async () => {
    sandbox = await mkdtemp(join(tmpdir(), prefix));
  });
  after(() => rm(sandbox, { recursive: true, force: true }));
  return (name) => join(sandbox, `${name}-${counter++}`);
}

export async function bytesOf(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * A GNU-format header written byte by byte from the format's offsets, independent of the
 * project's writer: name, octal fields, typeflag, "ustar  \0" magic, checksum.
 */
export function gnuHeader(fields: { name: string; typeflag: string; size: number; linkname?: string; mode?: number }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  block.write(`${fields.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.write('14531234567\0', 136, 'latin1');
  block.write(fields.typeflag, 156, 'latin1');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar  \0', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}
