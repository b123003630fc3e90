import { invalidArgument } from '../common/errors.js';
import {
  BLOCK_SIZE,
  type TarEntryType,
  octalLimit,
  paddingAfter,
  typeflagOf,
  writeChecksum,
  writeNumber,
  writeString,
} from './header.js';
import { gathered } from './gather.js';
import { XATTR_PREFIX, encodePaxRecord } from './pax.js';

/**
 * Writes POSIX pax archives: a plain ustar header when every field fits, preceded by a pax
 * extended header for what does not (long names, big sizes or ids, xattrs with raw bytes).
 * Output depends only on the input, so packing the same tree twice gives the same bytes.
 */

export interface TarHeaderInput {
  path: string;
  type: TarEntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch; written as whole seconds. */
  mtime?: number;
  linkpath?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: ReadonlyMap<string, Buffer>;
}

export interface TarEntryInput {
  header: TarHeaderInput;
  /** The content of a 'file' entry: exactly header.size bytes. */
  body?: Buffer | AsyncIterable<Buffer>;
}

export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK_SIZE);
const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE);

export function padding(size: number): Buffer {
  return ZERO_BLOCK.subarray(0, paddingAfter(size));
}

/** The header blocks for one entry: an optional pax header (with its body) and the ustar header. */
export function encodeHeader(input: TarHeaderInput): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  const records: Buffer[] = [];
  const size = input.type === 'file' ? (input.size ?? 0) : 0;
  const mtime = Math.floor(input.mtime ?? 0);

  if (!placePath(block, input.path)) records.push(encodePaxRecord('path', input.path));
  const numbers: [field: 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devmajor' | 'devminor', value: number, paxKey?: string][] = [
    ['mode', (input.mode ?? defaultMode(input.type)) & 0o7777],
    ['uid', input.uid ?? 0, 'uid'],
    ['gid', input.gid ?? 0, 'gid'],
    ['size', size, 'size'],
    ['mtime', mtime, 'mtime'],
    ['devmajor', input.devmajor ?? 0, 'SCHILY.devmajor'],
    ['devminor', input.devminor ?? 0, 'SCHILY.devminor'],
  ];
  for (const [field, value, paxKey] of numbers) {
    if (!Number.isSafeInteger(value)) throw invalidArgument(`tar ${field} of ${input.path} is not an integer`);
    // Octal when it fits; otherwise base-256 in the field (for readers without pax) plus a pax record.
    if (!writeNumber(block, field, value) && paxKey !== undefined) records.push(encodePaxRecord(paxKey, String(value)));
  }
  block[156] = typeflagOf(input.type).charCodeAt(0);
  const linkpath = input.linkpath ?? '';
  if (!writeString(block, 'linkname', linkpath)) records.push(encodePaxRecord('linkpath', linkpath));
  block.write('ustar\x0000', 257, 8, 'latin1');
  if (!writeString(block, 'uname', input.uname ?? '')) records.push(encodePaxRecord('uname', input.uname ?? ''));
  if (!writeString(block, 'gname', input.gname ?? '')) records.push(encodePaxRecord('gname', input.gname ?? ''));
  for (const [name, value] of sortedXattrs(input.xattrs)) records.push(encodePaxRecord(XATTR_PREFIX + name, value));
  writeChecksum(block);

  if (records.length === 0) return block;
  const paxBody = Buffer.concat(records);
  const paxHeader = Buffer.alloc(BLOCK_SIZE);
  paxEntryName(input.path).copy(paxHeader, 0, 0, 100);
  writeNumber(paxHeader, 'mode', 0o644);
  writeNumber(paxHeader, 'uid', 0);
  writeNumber(paxHeader, 'gid', 0);
  writeNumber(paxHeader, 'size', paxBody.length);
  writeNumber(paxHeader, 'mtime', Math.min(Math.max(mtime, 0), octalLimit('mtime')));
  paxHeader[156] = 'x'.charCodeAt(0);
  paxHeader.write('ustar\x0000', 257, 8, 'latin1');
  writeChecksum(paxHeader);
  return Buffer.concat([paxHeader, paxBody, padding(paxBody.length), block]);
}

/** Yields a whole archive: each entry's header, body and padding, then the end marker. */
export function writeTar(entries: AsyncIterable<TarEntryInput> | Iterable<TarEntryInput>): AsyncGenerator<Buffer> {
  return gathered(archivePieces(entries));
}

async function* archivePieces(entries: AsyncIterable<TarEntryInput> | Iterable<TarEntryInput>): AsyncGenerator<Buffer> {
  for await (const { header, body } of entries) {
    yield encodeHeader(header);
    const size = header.type === 'file' ? (header.size ?? 0) : 0;
    if (size === 0) continue;
    if (body === undefined) throw invalidArgument(`tar entry ${header.path} has no body for its ${size} bytes`);
    let written = 0;
    for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
      written += chunk.length;
      if (written > size) throw invalidArgument(`tar entry ${header.path} has more than its ${size} bytes`);
      yield chunk;
    }
    if (written !== size) throw invalidArgument(`tar entry ${header.path} has ${written} bytes, not ${size}`);
    yield padding(size);
  }
  yield END_OF_ARCHIVE;
}

function defaultMode(type: TarEntryType): number {
  return type === 'directory' ? 0o755 : 0o644;
}

/**
 * Puts a path in the ustar name field, or splits it at a '/' into prefix (155 bytes) and name
 * (100 bytes). Returns false when neither fits; the field then holds a truncated form for
 * readers that ignore pax.
 */
function placePath(block: Buffer, path: string): boolean {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length <= 100) {
    bytes.copy(block, 0);
    return true;
  }
  if (bytes.length <= 256) {
    // The name part keeps as much as it can: split at the first '/' that leaves at most 100 bytes.
    for (let split = bytes.length - 101; split < bytes.length - 1; split++) {
      if (split < 1 || bytes[split] !== 0x2f) continue;
      if (split > 155) break;
      bytes.copy(block, 345, 0, split);
      bytes.copy(block, 0, split + 1);
      return true;
    }
  }
  bytes.copy(block, 0, 0, 100);
  return false;
}

/** The pax header's own name, as GNU tar lists it if it does not understand pax (cut at 100 bytes). */
function paxEntryName(path: string): Buffer {
  const trimmed = path.replace(/\/+$/, '');
  return Buffer.from(`PaxHeaders/${trimmed.slice(trimmed.lastIndexOf('/') + 1)}`, 'utf8');
}

function sortedXattrs(xattrs: ReadonlyMap<string, Buffer> | undefined): [string, Buffer][] {
  if (xattrs === undefined || xattrs.size === 0) return [];
  return [...xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
