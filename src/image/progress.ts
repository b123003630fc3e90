import { Transform } from 'node:stream';

/**
 * What an image transfer (pull, push, load) reports as it goes, in Docker's wording
 * (`Pulling fs layer`, `Downloading`, `Pull complete`, ...). The API turns these into
 * Docker's JSON progress messages; the engine knows nothing of that format.
 */
export interface ProgressEvent {
  /** The item the status is about: a short layer id, a tag; absent for whole-operation lines. */
  id?: string;
  status: string;
  /** Bytes done and expected, for statuses that show a bar. */
  current?: number;
  total?: number;
}

export type ProgressSink = (event: ProgressEvent) => void;

export const ignoreProgress: ProgressSink = () => {};

/** Docker's short id of a blob or layer: 12 hex digits of its digest. */
export function shortDigest(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/**
 * Wraps a sink so that byte-count updates for one id reach it at most every `intervalMs`, and
 * when `current` reaches `total` (0 when not known).
 */
export function throttledBytes(sink: ProgressSink, id: string, status: string, total: number, intervalMs = 100): (current: number) => void {
  let last = 0;
  return (current) => {
    const now = Date.now();
    if (now - last < intervalMs && (total === 0 || current < total)) return;
    last = now;
    sink({ id, status, current, total });
  };
}

/** A pass-through stream that reports how many bytes went through it, counting on from `start`. */
export function byteCounter(onBytes: (bytes: number) => void, start = 0): Transform {
  let bytes = start;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
}
