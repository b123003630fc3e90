import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, invalidArgument } from '../../common/errors.js';
import type { Descriptor } from '../media-types.js';
import type { RegistryClient } from './registry-client.js';
import { isTransient } from './registry-errors.js';

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Called with the bytes received so far. */
  onBytes?: (received: number) => void;
  /** Failures in a row, without a byte gained in between, before giving up. */
  attempts?: number;
  /** First wait before retrying; it doubles with each failure in a row. */
  retryDelayMs?: number;
}

/**
 * A blob's bytes from a registry as one stream, whatever happens underneath: when the
 * connection drops or the registry answers 5xx, the download resumes where it stopped
 * (a `Range` request; if the registry ignores it, the bytes already had are skipped).
 * The stream ends only with exactly `descriptor.size` bytes; checking their digest is
 * the consumer's job (the blob store does it as it writes).
 */
export async function* downloadBlob(client: RegistryClient, path: string, descriptor: Descriptor, options: DownloadOptions = {}): AsyncGenerator<Buffer> {
  const maxAttempts = options.attempts ?? 5;
  const baseDelay = options.retryDelayMs ?? 250;
  let received = 0;
  let failures = 0;
  for (;;) {
    const before = received;
    try {
      const answer = await client.openBlob(path, descriptor.digest, received, options.signal);
      let skip = received > 0 && answer.status === 200 ? received : 0;
      try {
        for await (const raw of answer.body as AsyncIterable<Buffer>) {
          let chunk = raw;
          if (skip > 0) {
            const dropped = Math.min(skip, chunk.length);
            skip -= dropped;
            chunk = chunk.subarray(dropped);
            if (chunk.length === 0) continue;
          }
          received += chunk.length;
          if (received > descriptor.size) {
            throw invalidArgument(`blob ${descriptor.digest} is larger than the ${descriptor.size} bytes its descriptor states`);
          }
          options.onBytes?.(received);
          yield chunk;
        }
      } finally {
        answer.body.destroy();
      }
      if (received === descriptor.size) return;
      throw Object.assign(new Error(`connection closed after ${received} of ${descriptor.size} bytes`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    } catch (error) {
      if (options.signal?.aborted === true || !isTransient(error)) throw error;
      failures = received > before ? 1 : failures + 1;
      if (failures >= maxAttempts) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new BerthError('unavailable', `download of ${descriptor.digest} failed after ${failures} attempts: ${reason}`, { cause: error });
      }
      await sleep(baseDelay * 2 ** (failures - 1), undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
