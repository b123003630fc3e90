import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { parallelGzip } from '../../src/image/parallel-gzip.js';

async function gzipOf(input: Buffer, pieceBytes: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += pieceBytes) pieces.push(input.subarray(at, at + pieceBytes));
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(parallelGzip(1))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Text-like data that compresses, with some randomness so that blocks differ. */
function sample(bytes: number): Buffer {
  const words = ['layer', 'blob', 'manifest', 'digest', 'sha256', '\n', ' ', 'usr/lib/', randomBytes(4).toString('hex')];
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = words[Math.floor(Math.random() * words.length)]!;
    parts.push(word);
    length += word.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

describe('parallelGzip (igzip, in blocks)', () => {
  const block = 2 * 1024 * 1024;
  for (const [label, bytes, piece] of [
    ['nothing', 0, 1],
    ['a few bytes', 5, 5],
    ['exactly one block', block, 65536],
    ['one block and a byte', block + 1, 100_000],
    ['nine blocks and a half, in odd pieces', Math.floor(9.5 * block), 77_777],
  ] as const) {
    it(`gives back ${label} through zlib's gunzip and GNU gzip`, async () => {
      const input = sample(bytes);
      const gzipped = await gzipOf(input, piece);
      assert.deepEqual(gunzipSync(gzipped), input);
      const zcat = spawnSync('gzip', ['-dc'], { input: gzipped, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(zcat.status, 0, zcat.stderr.toString());
      assert.ok(zcat.stdout.equals(input), 'GNU gzip reads every member');
      if (bytes > 1000) assert.ok(gzipped.length < input.length / 2, `compressed ${input.length} to ${gzipped.length}`);
    });
  }

  it('ends with the error of its source instead of hanging', async () => {
    let sent = false;
    const failing = new Readable({
      read() {
        if (sent) this.destroy(new Error('source broke'));
        else this.push(sample(block + 10));
        sent = true;
      },
    });
    await assert.rejects(pipeline(failing, parallelGzip(1), new Writable({ write: (_chunk, _encoding, done) => done() })), /source broke/);
  });
});
