/** Output pieces smaller than this are gathered, so a consumer gets few large writes, not one per header. */
export const OUTPUT_CHUNK_BYTES = 64 * 1024;

/**
 * Passes pieces through, joining runs of small ones into chunks of at least `chunkBytes`: a
 * tar stream is mostly 512-byte headers and small bodies, and each chunk costs the consumer
 * (a hash update, a socket write) about the same whatever its size.
 */
export async function* gathered(pieces: AsyncIterable<Buffer>, chunkBytes = OUTPUT_CHUNK_BYTES): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const piece of pieces) {
    if (piece.length >= chunkBytes) {
      if (length > 0) yield Buffer.concat(parts, length);
      parts = [];
      length = 0;
      yield piece;
      continue;
    }
    parts.push(piece);
    length += piece.length;
    if (length >= chunkBytes) {
      yield Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
