import { Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { invalidArgument } from '../common/errors.js';

/**
 * Layer blobs arrive as plain tar, gzip or zstd (OCI media types tar, tar+gzip, tar+zstd).
 * The first bytes tell which; this yields the uncompressed bytes whatever the input was.
 */

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

const MAGIC_BYTES = 6;
/**
 * zlib's default 16 KiB output chunks mean a thread-pool round trip and a callback per 16 KiB
 * of layer: a layer of hundreds of MB spent more time in those than in inflating.
 */
const OUTPUT_CHUNK_BYTES = 256 * 1024;

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return 'zstd';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

function decompressorFor(compression: Compression): NodeJS.ReadWriteStream | undefined {
  switch (compression) {
    case 'none':
      return undefined;
    case 'gzip':
      return zlib.createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES });
    case 'zstd':
      return zlib.createZstdDecompress({ chunkSize: OUTPUT_CHUNK_BYTES });
    default:
      throw invalidArgument(`unsupported layer compression: ${compression}`);
  }
}

/** Bytes from a stream (a Readable is one) or, in tests and small cases, an array of buffers. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Yields the source's bytes, decompressed when its magic bytes say gzip or zstd. */
export async function* decompressed(source: ByteSource): AsyncGenerator<Buffer> {
  const iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let exhausted = false;
  while (headLength < MAGIC_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      exhausted = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    headLength += chunk.length;
  }
  const first = Buffer.concat(head);
  const rest = async function* (): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      if (exhausted) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          return;
        }
        yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      }
    } finally {
      // Stopping early (an error downstream) must release the source, e.g. close its socket.
      if (!exhausted) await iterator.return?.();
    }
  };
  const decompressor = decompressorFor(detectCompression(first));
  if (decompressor === undefined) {
    yield* rest();
    return;
  }
  const output = pipeline(Readable.from(rest(), { objectMode: false }), decompressor, () => {
    // Errors reach the consumer through the decompressor's iterator, which pipeline destroys.
  });
  yield* output as AsyncIterable<Buffer>;
}
