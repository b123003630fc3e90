import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { errnoCode } from '../common/errors.js';
import type { QueuedBody } from './body-batches.js';
import { gathered } from './gather.js';
import { type LargeBody, LayerFiles } from './layer-files.js';
import type { BodyRecorder } from './reader.js';
import { corrupt } from './split-errors.js';

/**
 * tar-split: what it takes to give back a layer's uncompressed tar stream byte for byte (its
 * sha256 is the diff id image configs list) from the unpacked layer directory, without keeping
 * a copy of the tar. Everything but regular-file bodies is kept verbatim; a body is kept as a
 * reference to the file the unpacker wrote it to.
 *
 * The split file is gzip of:
 *
 *     "berth-tar-split 1\n"
 *     records, each a kind byte followed by unsigned LEB128 numbers:
 *       1 RAW  <length> <bytes>            tar bytes kept verbatim: headers, pax and GNU long-name
 *                                          entries, padding, bodies not unpacked as regular files,
 *                                          end-of-archive blocks and whatever trails them
 *       2 FILE <size> <path-length> <path> a regular-file body: <size> bytes of the file <path>
 *                                          (UTF-8, relative to the layer directory)
 *       0 END  <length>                    the whole stream's length; nothing follows
 *
 * RAW records hold at most 64 KiB, so a reader never needs more than that in memory. FILE
 * records are numbered from 0 in order. When a later entry replaces or removes a file whose
 * body a FILE record names (a tar may list a path twice), the file is first hardlinked to
 * `<split>-bodies/<record number>` beside the split file (`tar-split.gz` → `tar-split-bodies/`),
 * and the assembler reads that record from there.
 */

const MAGIC = Buffer.from('berth-tar-split 1\n', 'latin1');
const END = 0;
const RAW = 1;
const FILE = 2;
const RAW_RECORD_BYTES = 64 * 1024;

/** Where bodies of replaced files are kept, beside the split file. */
export function keptBodiesDir(splitPath: string): string {
  return join(dirname(splitPath), `${basename(splitPath).replace(/\.gz$/, '')}-bodies`);
}

function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * Records a tar stream as it is unpacked: tap the reader's ByteQueue into `raw` and give it to
 * readEntries as the body recorder. Written as a gzip stream, so a layer of any number of
 * entries costs a bounded amount of memory.
 */
export class TarSplitWriter implements BodyRecorder {
  private readonly gzip = createGzip({ level: 1 });
  private readonly written: Promise<void>;
  private readonly pendingRaw = Buffer.allocUnsafe(RAW_RECORD_BYTES);
  private pendingRawLength = 0;
  /** Encoded records not yet handed to the compressor: one zlib call per few KiB, not per record. */
  private output: Buffer[] = [MAGIC];
  private outputLength = MAGIC.length;
  private fileRecords = 0;
  /** The FILE record whose body each path holds now. */
  private readonly recordOfPath = new Map<string, number>();
  /** Bytes of the tar stream recorded so far, bodies included. */
  length = 0;

  constructor(readonly path: string) {
    this.written = pipelineAsync(this.gzip, createWriteStream(path, { mode: 0o600 }));
    // Awaited by finish or abort; this only keeps an early failure from going unhandled meanwhile.
    this.written.catch(() => undefined);
  }

  raw(chunk: Buffer): void {
    this.length += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const size = Math.min(chunk.length - offset, RAW_RECORD_BYTES - this.pendingRawLength);
      chunk.copy(this.pendingRaw, this.pendingRawLength, offset, offset + size);
      this.pendingRawLength += size;
      offset += size;
      if (this.pendingRawLength === RAW_RECORD_BYTES) this.endRawRecord();
    }
  }

  fileBody(path: string, size: number): void {
    this.endRawRecord();
    const pathBytes = Buffer.from(path, 'utf8');
    this.emit(Buffer.concat([Buffer.of(FILE), encodeVarint(size), encodeVarint(pathBytes.length), pathBytes]));
    this.recordOfPath.set(path, this.fileRecords++);
    this.length += size;
  }

  /** Call before the unpacker removes or replaces the file at `path` (layer-relative), found at `absolutePath`. */
  async keepBody(path: string, absolutePath: string): Promise<void> {
    const record = this.recordOfPath.get(path);
    if (record === undefined) return;
    this.recordOfPath.delete(path);
    const dir = keptBodiesDir(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await link(absolutePath, join(dir, String(record)));
  }

  /** Waits while the compressor has more queued than it wants, so a fast unpack does not pile up output. */
  async ready(): Promise<void> {
    if (this.gzip.writableNeedDrain) await once(this.gzip, 'drain');
  }

  async finish(): Promise<void> {
    this.endRawRecord();
    this.emit(Buffer.concat([Buffer.of(END), encodeVarint(this.length)]));
    this.gzip.end(Buffer.concat(this.output, this.outputLength));
    await this.written;
  }

  /** Stops writing; the caller removes the file. */
  async abort(): Promise<void> {
    this.gzip.destroy();
    await this.written.catch(() => undefined);
  }

  private endRawRecord(): void {
    if (this.pendingRawLength === 0) return;
    this.emit(Buffer.concat([Buffer.of(RAW), encodeVarint(this.pendingRawLength), this.pendingRaw.subarray(0, this.pendingRawLength)]));
    this.pendingRawLength = 0;
  }

  private emit(record: Buffer): void {
    this.output.push(record);
    this.outputLength += record.length;
    if (this.outputLength < RAW_RECORD_BYTES) return;
    this.gzip.write(Buffer.concat(this.output, this.outputLength));
    this.output = [];
    this.outputLength = 0;
  }
}

type SplitRecord =
  | { kind: 'raw'; bytes: Buffer }
  | { kind: 'file'; index: number; path: string; size: number }
  | { kind: 'end'; length: number };

/** Decodes records from the uncompressed split, as chunks arrive; a record may span chunks. */
class RecordDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private fileRecords = 0;

  push(chunk: Buffer): void {
    this.buffer = this.position < this.buffer.length ? Buffer.concat([this.buffer.subarray(this.position), chunk]) : chunk;
    this.position = 0;
  }

  get available(): number {
    return this.buffer.length - this.position;
  }

  take(count: number): Buffer {
    const bytes = this.buffer.subarray(this.position, this.position + count);
    this.position += count;
    return bytes;
  }

  /** The next complete record, or undefined when more bytes are needed. */
  next(): SplitRecord | undefined {
    let cursor = this.position;
    const varint = (): number | undefined => {
      let value = 0;
      for (let shift = 0; cursor < this.buffer.length; shift++) {
        if (shift > 7) throw corrupt('number too large');
        const byte = this.buffer[cursor++]!;
        value += (byte & 0x7f) * 2 ** (7 * shift);
        if ((byte & 0x80) === 0) return value;
      }
      return undefined;
    };
    if (cursor >= this.buffer.length) return undefined;
    const kind = this.buffer[cursor++]!;
    let record: SplitRecord;
    if (kind === RAW) {
      const length = varint();
      if (length === undefined || cursor + length > this.buffer.length) return undefined;
      record = { kind: 'raw', bytes: this.buffer.subarray(cursor, cursor + length) };
      cursor += length;
    } else if (kind === FILE) {
      const size = varint();
      const pathLength = size === undefined ? undefined : varint();
      if (size === undefined || pathLength === undefined || cursor + pathLength > this.buffer.length) return undefined;
      record = { kind: 'file', index: this.fileRecords, path: this.buffer.toString('utf8', cursor, cursor + pathLength), size };
      cursor += pathLength;
      this.fileRecords += 1;
    } else if (kind === END) {
      const length = varint();
      if (length === undefined) return undefined;
      record = { kind: 'end', length };
    } else {
      throw corrupt(`unknown record kind ${kind}`);
    }
    this.position = cursor;
    return record;
  }
}

async function* splitRecords(splitPath: string): AsyncGenerator<SplitRecord> {
  const decoder = new RecordDecoder();
  const uncompressed = pipeline(createReadStream(splitPath), createGunzip(), () => {
    // Errors reach the loop below through the gunzip stream's iterator.
  });
  let sawMagic = false;
  let ended = false;
  for await (const chunk of uncompressed as AsyncIterable<Buffer>) {
    decoder.push(chunk);
    if (!sawMagic) {
      if (decoder.available < MAGIC.length) continue;
      if (!decoder.take(MAGIC.length).equals(MAGIC)) throw corrupt('not a berth tar-split file');
      sawMagic = true;
    }
    for (let record = decoder.next(); record !== undefined; record = decoder.next()) {
      if (ended) throw corrupt('records after the end');
      if (record.kind === 'end') ended = true;
      yield record;
    }
  }
  if (!ended || decoder.available > 0) throw corrupt(ended ? 'bytes after the end' : 'the file is truncated');
}

/** Bodies up to this size are read whole (in batches, on a thread of their own), several ahead of the one being sent. */
const SMALL_BODY_BYTES = 256 * 1024;
const READ_AHEAD_PIECES = 64;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/**
 * Yields the exact tar stream a split file recorded, reading file bodies from `diffDir`. A body
 * path with '..' or empty components is refused, no symlink is followed (parents are checked
 * to be real directories, the file is opened O_NOFOLLOW), and a file whose size is not the
 * recorded one is an error.
 */
export async function* assembleTar(diffDir: string, splitPath: string): AsyncGenerator<Buffer> {
  const files = new LayerFiles(diffDir, keptBodiesDir(splitPath), await keptRecords(splitPath));
  yield* gathered(assembledPieces(splitRecords(splitPath), files));
}

async function* assembledPieces(records: AsyncIterable<SplitRecord>, files: LayerFiles): AsyncGenerator<Buffer> {
  const window: (Buffer | QueuedBody | LargeBody)[] = [];
  let aheadBytes = 0;
  let produced = 0;
  let expected: number | undefined;

  async function* emitFirst(): AsyncGenerator<Buffer> {
    const piece = window.shift()!;
    if (Buffer.isBuffer(piece)) {
      produced += piece.length;
      yield piece;
    } else if ('batch' in piece) {
      const body = await files.takeSmall(piece);
      aheadBytes -= body.length;
      produced += body.length;
      yield body;
    } else {
      for await (const chunk of files.stream(piece)) {
        produced += chunk.length;
        yield chunk;
      }
    }
  }

  for await (const record of records) {
    if (record.kind === 'raw') {
      window.push(record.bytes);
    } else if (record.kind === 'file') {
      if (record.size <= SMALL_BODY_BYTES) {
        window.push(files.queueSmall(record.index, record.path, record.size));
        aheadBytes += record.size;
      } else {
        window.push(files.large(record.index, record.path, record.size));
      }
    } else {
      expected = record.length;
    }
    while (window.length > READ_AHEAD_PIECES || aheadBytes > READ_AHEAD_BYTES) yield* emitFirst();
  }
  while (window.length > 0) yield* emitFirst();
  if (produced !== expected) throw corrupt(`it describes ${expected} bytes but gave ${produced}`);
}

async function keptRecords(splitPath: string): Promise<Set<number>> {
  try {
    return new Set((await readdir(keptBodiesDir(splitPath))).map(Number));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return new Set();
    throw error;
  }
}
