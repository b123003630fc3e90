/**
 * Sizes and durations the way docker's go-units package writes and reads them.
 */
import { humanDuration } from '../../common/human-duration.js';
import { humanSize, significant } from '../../common/human-size.js';

export { humanDuration, humanSize };

/** docker's units.BytesSize: binary units, used by `info` for memory. */
export function binarySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${significant(size, 4)}${units[i]}`;
}

/** "2 minutes ago" for a unix time in seconds. */
export function timeAgo(unixSeconds: number, nowMs = Date.now()): string {
  return `${humanDuration(nowMs - unixSeconds * 1000)} ago`;
}

const SIZE_PATTERN = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const BINARY_MULTIPLIERS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** units.RAMInBytes: "128m" -> 134217728 (binary multipliers, as docker's --memory reads them). */
export function parseRamSize(value: string): number {
  const m = SIZE_PATTERN.exec(value);
  if (!m) throw new Error(`invalid size: '${value}'`);
  const n = Number.parseFloat(m[1]!);
  if (!Number.isFinite(n)) throw new Error(`invalid size: '${value}'`);
  const unit = m[2]?.toLowerCase();
  return Math.trunc(n * (unit ? BINARY_MULTIPLIERS[unit]! : 1));
}
