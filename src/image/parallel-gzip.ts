import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { GzipCompressor } from '../sys/libdeflate.js';

/** Big enough that a member's restart costs nothing measurable (deflate looks back 32 KiB), small enough to keep memory low. */
const BLOCK_BYTES = 2 * 1024 * 1024;

/**
 * A gzip stream compressed by libdeflate, in blocks that compress side by side on the thread
 * pool, each written as a gzip member of its own, in order. Concatenated members are one gzip
 * file (RFC 1952), which every reader registries and engines use takes whole (Go's
 * compress/gzip, zlib's gunzip, GNU gzip). At level 1 this is about three times as fast as
 * zlib per core here, and uses every core for one layer.
 */
export function parallelGzip(level: number): Transform {
  const parallel = Math.max(1, availableParallelism());
  const compressors = Array.from({ length: parallel }, () => new GzipCompressor(level));
  const inFlight: Promise<Buffer>[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let blocks = 0;

  const submit = (block: Buffer): void => {
    // At most `parallel` in flight, so the compressor this block takes has finished its last one.
    inFlight.push(compressors[blocks % parallel]!.gzip(block));
    blocks += 1;
  };

  const takeBlock = (bytes: number): Buffer => {
    const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    const block = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    return block;
  };

  return new Transform({
    async transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      try {
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= BLOCK_BYTES) {
          while (inFlight.length >= parallel) this.push(await inFlight.shift()!);
          submit(takeBlock(BLOCK_BYTES));
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    async flush(done: TransformCallback) {
      try {
        // An empty input still makes one (empty) member: a valid gzip file.
        if (pendingBytes > 0 || blocks === 0) {
          while (inFlight.length >= parallel) this.push(await inFlight.shift()!);
          submit(takeBlock(pendingBytes));
        }
        while (inFlight.length > 0) this.push(await inFlight.shift()!);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    destroy(error: Error | null, done: (error: Error | null) => void) {
      // A block still compressing keeps its compressor until it is done.
      void Promise.allSettled(inFlight).then(() => {
        for (const compressor of compressors) compressor.free();
      });
      done(error);
    },
  });
}
