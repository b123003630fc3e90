import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GzipCompressor } from '../../src/sys/isal.js';

const text = Buffer.from('layer blob manifest digest sha256 usr/lib/x86_64-linux-gnu\n'.repeat(40_000));

describe('GzipCompressor (ISA-L igzip through koffi)', () => {
  for (const level of [0, 1, 2, 3]) {
    it(`level ${level}: one gzip member that zlib reads back exactly`, async () => {
      const gzipped = await new GzipCompressor(level).gzip(text);
      assert.deepEqual(gzipped.subarray(0, 3), Buffer.from([0x1f, 0x8b, 8]), 'a gzip header, deflate method');
      assert.deepEqual(gunzipSync(gzipped), text);
      assert.ok(gzipped.length < text.length / 10, `compressed ${text.length} to ${gzipped.length}`);
    });
  }

  it('gives back what cannot be compressed, and nothing, as valid gzip', async () => {
    const compressor = new GzipCompressor(2);
    const noise = randomBytes(3 * 1024 * 1024 + 7);
    const stored = await compressor.gzip(noise);
    assert.deepEqual(gunzipSync(stored), noise);
    assert.ok(stored.length < noise.length + 1024, `random data grew only by its framing (${stored.length - noise.length} bytes)`);
    assert.deepEqual(gunzipSync(await compressor.gzip(Buffer.alloc(0))), Buffer.alloc(0));
  });

  it('answers each call with a buffer of its own, though it reuses its output space', async () => {
    const compressor = new GzipCompressor(1);
    const first = await compressor.gzip(text);
    const copy = Buffer.from(first);
    const second = await compressor.gzip(Buffer.from('something else entirely'));
    assert.deepEqual(first, copy, 'the first answer was not overwritten by the second call');
    assert.equal(gunzipSync(second).toString(), 'something else entirely');
  });

  it('compresses on several compressors at once', async () => {
    const inputs = Array.from({ length: 8 }, (_, index) => Buffer.concat([randomBytes(64), text.subarray(index * 1000)]));
    const outputs = await Promise.all(inputs.map((input) => new GzipCompressor(2).gzip(input)));
    outputs.forEach((output, index) => assert.deepEqual(gunzipSync(output), inputs[index]));
  });

  it('refuses a level igzip does not have', () => {
    assert.throws(() => new GzipCompressor(4), /igzip has levels 0 to 3, not 4/);
    assert.throws(() => new GzipCompressor(-1), RangeError);
  });
});
