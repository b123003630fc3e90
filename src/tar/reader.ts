import { invalidArgument } from '../common/errors.js';
import { ByteQueue } from './byte-queue.js';
import { type ByteSource, decompressed } from './decompress.js';
import {
  BLOCK_SIZE,
  type TarHeader,
  checksumMatches,
  entryTypeOf,
  headerFormat,
  isZeroBlock,
  paddingAfter,
  readNumber,
  readString,
} from './header.js';
import { paxInteger, paxString, paxTime, paxXattrs, parsePaxRecords } from './pax.js';

export interface TarEntry {
  header: TarHeader;
  /**
   * The entry's content, streamed. Reading it is optional: moving to the next entry skips
   * whatever was left unread. It must not be read after moving on.
   */
  body: AsyncIterable<Buffer>;
  /**
   * Tells the reader that the consumer keeps this regular file's body as the file `path`
   * (relative to where it unpacks). With a body recorder attached, the body is then recorded as
   * (path, size) and its bytes are left out of the queue's tap. Call before reading the body.
   * Entries made by other means (renamed copies, tests) may lack it.
   */
  storeBody?(path: string): void;
}

/** Told which file bodies a consumer keeps on disk, for a tar-split recorder tapping the same queue. */
export interface BodyRecorder {
  fileBody(path: string, size: number): void;
}

/** Metadata entries (pax, GNU long names) are small; anything huge is a corrupt or hostile archive. */
const METADATA_LIMIT = 16 * 1024 * 1024;

/**
 * Reads a tar archive (plain, gzip or zstd) entry by entry. pax extended headers (local and
 * global), GNU long names ('L') and long link names ('K') are folded into the entry they
 * describe; xattr values keep their exact bytes.
 */
export async function* readTar(source: ByteSource): AsyncGenerator<TarEntry> {
  const queue = new ByteQueue(decompressed(source));
  try {
    yield* readEntries(queue);
  } finally {
    await queue.close();
  }
}

/**
 * Reads entries from an already uncompressed queue and stops after the end-of-archive marker,
 * leaving any trailing bytes in the queue (a caller hashing the stream drains them).
 */
export async function* readEntries(queue: ByteQueue, recorder?: BodyRecorder): AsyncGenerator<TarEntry> {
  let globalRecords = new Map<string, Buffer>();
  let localRecords: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;

  while (await queue.hasMore()) {
    const headerOffset = queue.offset;
    const block = await queue.read(BLOCK_SIZE);
    if (isZeroBlock(block)) {
      // End of archive: two zero blocks; tolerate a missing second one at the very end.
      if (await queue.hasMore()) await queue.read(BLOCK_SIZE);
      return;
    }
    if (!checksumMatches(block)) {
      throw invalidArgument(`invalid tar header at byte ${headerOffset}: checksum mismatch`);
    }
    const typeflag = String.fromCharCode(block[156]!);
    const size = readNumber(block, 'size');

    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > METADATA_LIMIT) throw invalidArgument(`tar metadata entry at byte ${headerOffset} is too large`);
      const data = await queue.read(size);
      await queue.skip(paddingAfter(size));
      if (typeflag === 'x') localRecords = parsePaxRecords(data);
      else if (typeflag === 'g') globalRecords = new Map([...globalRecords, ...parsePaxRecords(data)]);
      else if (typeflag === 'L') longName = nulTerminated(data);
      else longLink = nulTerminated(data);
      continue;
    }
    if (typeflag === 'S') {
      // Old GNU sparse entries may be followed by extra sparse-map blocks: no safe way to go on.
      throw invalidArgument(`GNU sparse file at byte ${headerOffset} is not supported`);
    }
    if (typeflag === 'V') {
      // GNU volume label: names the archive, describes no file.
      await queue.skip(size + paddingAfter(size));
      continue;
    }

    const records = localRecords === undefined ? globalRecords : new Map([...globalRecords, ...localRecords]);
    const header = decodeHeader(block, typeflag, records, longName, longLink);
    localRecords = undefined;
    longName = undefined;
    longLink = undefined;

    // Only these carry data in the archive; a size on a link or directory header is ignored.
    const bodySize = header.type === 'file' || header.type === 'unsupported' || typeflag === 'D' ? header.size : 0;
    let remaining = bodySize;
    let stored = false;
    const body = (async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of queue.stream(remaining, !stored)) {
        remaining -= chunk.length;
        yield chunk;
      }
    })();
    const storeBody = (path: string): void => {
      if (header.type !== 'file') throw new Error(`tar entry "${header.path}" is not a regular file`);
      if (remaining !== bodySize) throw new Error(`body of tar entry "${header.path}" already read`);
      if (stored || bodySize === 0) return;
      stored = true;
      recorder?.fileBody(path, bodySize);
    };
    yield { header, body, storeBody };
    await queue.skip(remaining, !stored);
    await queue.skip(paddingAfter(bodySize));
  }
}

function decodeHeader(
  block: Buffer,
  typeflag: string,
  records: Map<string, Buffer>,
  longName: string | undefined,
  longLink: string | undefined,
): TarHeader {
  let path = readString(block, 'name');
  // The prefix field exists only in POSIX ustar; GNU headers keep other data there.
  if (headerFormat(block) === 'posix') {
    const prefix = readString(block, 'prefix');
    if (prefix !== '') path = `${prefix}/${path}`;
  }
  const sparse = records.has('GNU.sparse.major') || records.has('GNU.sparse.map');
  return {
    path: paxString(records, 'path') ?? longName ?? path,
    type: sparse ? 'unsupported' : entryTypeOf(typeflag),
    typeflag: sparse ? 'S' : typeflag,
    mode: readNumber(block, 'mode') & 0o7777,
    uid: paxInteger(records, 'uid') ?? readNumber(block, 'uid'),
    gid: paxInteger(records, 'gid') ?? readNumber(block, 'gid'),
    size: paxInteger(records, 'size') ?? readNumber(block, 'size'),
    mtime: paxTime(records, 'mtime') ?? readNumber(block, 'mtime'),
    atime: paxTime(records, 'atime'),
    linkpath: paxString(records, 'linkpath') ?? longLink ?? readString(block, 'linkname'),
    uname: paxString(records, 'uname') ?? readString(block, 'uname'),
    gname: paxString(records, 'gname') ?? readString(block, 'gname'),
    devmajor: paxInteger(records, 'SCHILY.devmajor') ?? readNumber(block, 'devmajor'),
    devminor: paxInteger(records, 'SCHILY.devminor') ?? readNumber(block, 'devminor'),
    xattrs: paxXattrs(records),
  };
}

function nulTerminated(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end === -1 ? data.length : end);
}
