import { invalidArgument } from '../common/errors.js';

/**
 * Pulls exact byte counts out of a chunked stream without copying when a request falls inside
 * one chunk — the tar reader's view of its input (512-byte headers, bodies of any length).
 */
export class ByteQueue {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far, for error messages that point into the archive. */
  offset = 0;
  /**
   * Sees every byte taken from the queue, in order (read, stream, skip and drain alike), except
   * those a caller takes untapped: a tar-split recorder keeps what it sees verbatim.
   */
  tap: ((chunk: Buffer) => void) | undefined;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Buffers at least `count` bytes; false when the stream ends first. */
  async fill(count: number): Promise<boolean> {
    while (this.buffered < count) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
        return this.buffered >= count;
      }
      if (next.value.length === 0) continue;
      this.chunks.push(next.value);
      this.buffered += next.value.length;
    }
    return true;
  }

  /** Whether any byte remains (buffered or still to come). */
  async hasMore(): Promise<boolean> {
    return this.fill(1);
  }

  /** Exactly `count` bytes; throws on a truncated stream. */
  async read(count: number): Promise<Buffer> {
    if (!(await this.fill(count))) throw truncated(this.offset + this.buffered);
    return this.take(count);
  }

  /** Up to `count` bytes as they arrive, in chunks; throws on a truncated stream. */
  async *stream(count: number, tapped = true): AsyncGenerator<Buffer> {
    let remaining = count;
    while (remaining > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) throw truncated(this.offset);
      const size = Math.min(remaining, this.chunks[0]!.length);
      remaining -= size;
      yield this.take(size, tapped);
    }
  }

  async skip(count: number, tapped = true): Promise<void> {
    let remaining = count;
    while (remaining > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) throw truncated(this.offset);
      const size = Math.min(remaining, this.chunks[0]!.length);
      this.take(size, tapped);
      remaining -= size;
    }
  }

  /** Reads and discards everything left, so a caller hashing the stream sees all of it. */
  async drain(): Promise<void> {
    this.take(this.buffered);
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
      } else {
        this.offset += next.value.length;
        this.tap?.(next.value);
      }
    }
  }

  /** Stops reading: lets the source release what it holds. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.iterator.return?.();
    }
  }

  private take(count: number, tapped = true): Buffer {
    const taken = this.takeBytes(count);
    if (tapped && taken.length > 0) this.tap?.(taken);
    return taken;
  }

  private takeBytes(count: number): Buffer {
    this.buffered -= count;
    this.offset += count;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length === count) {
      this.chunks.shift();
      return first;
    }
    if (first.length > count) {
      this.chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const result = Buffer.allocUnsafe(count);
    let written = 0;
    while (written < count) {
      const chunk = this.chunks[0]!;
      const size = Math.min(count - written, chunk.length);
      chunk.copy(result, written, 0, size);
      written += size;
      if (size === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(size);
    }
    return result;
  }
}

function truncated(offset: number): Error {
  return invalidArgument(`unexpected end of tar stream at byte ${offset}`);
}
