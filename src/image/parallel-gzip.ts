import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { GzipCompressor } from '../sys/isal.js';

/** Big enough that a member's restart costs nothing measurable (deflate looks back 32 KiB), small enough to keep memory low. */
const BLOCK_BYTES = 2 * 1024 * 1024;

/**
 * A gzip stream compressed by ISA-L's igzip, in blocks that compress side by side on the thread
 * pool, each written as a gzip member of its own, in order. Concatenated members are one gzip
 * file (RFC 1952), which every reader registries and engines use takes whole (Go's
 * compress/gzip, zlib's gunzip, GNU gzip). At its level 2 this is about four times as fast as
 * zlib's level 1 per core here, and uses every core for one layer.
 */
export function parallelGzip(level: number): Transform {
  const parallel = Math.max(1, availableParallelism());
  const compressors = Array.from({ length: parallel }, () => new GzipCompressor(level));
  // Input blocks are reused, one more than the compressors so that the next fills while every
  // compressor works: fresh 2 MiB buffers for every block of a push made V8 run a full GC every
  // few dozen megabytes, for the external memory they added up to.
  const inputs: Buffer[] = [];
  const inFlight: Promise<Buffer>[] = [];
  let blocks = 0;
  let filling: Buffer | undefined;
  let filled = 0;

  const inputBlock = (): Buffer => {
    const index = blocks % (parallel + 1);
    // Block `blocks - parallel - 1` had this buffer; submitting the block before this one waited for it to be done.
    return (inputs[index] ??= Buffer.allocUnsafe(BLOCK_BYTES));
  };

  const submit = async (push: (compressed: Buffer) => void): Promise<void> => {
    while (inFlight.length >= parallel) push(await inFlight.shift()!);
    // At most `parallel` in flight, so the compressor this block takes has finished its last one.
    const compressed = compressors[blocks % parallel]!.gzip(filling!.subarray(0, filled));
    // Its failure is reported when its turn comes, or not at all once the stream is destroyed: never unhandled.
    compressed.catch(() => {});
    inFlight.push(compressed);
    blocks += 1;
    filling = undefined;
    filled = 0;
  };

  return new Transform({
    async transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        for (let taken = 0; taken < chunk.length; ) {
          filling ??= inputBlock();
          const copied = chunk.copy(filling, filled, taken);
          filled += copied;
          taken += copied;
          if (filled === BLOCK_BYTES) await submit((compressed) => this.push(compressed));
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    async flush(done: TransformCallback) {
      try {
        // An empty input still makes one (empty) member: a valid gzip file.
        if (filled > 0 || blocks === 0) {
          filling ??= inputBlock();
          await submit((compressed) => this.push(compressed));
        }
        while (inFlight.length > 0) this.push(await inFlight.shift()!);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}
