import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parallelGzip } from '../parallel-gzip.js';
import { byteCounter } from '../progress.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { Digest } from '../../store/digest.js';
import type { CompressedLayer, LayerStore } from '../layer-store.js';
import { MediaType } from '../media-types.js';
import type { RegistryClient } from './registry-client.js';

export interface StreamedLayer {
  /** The gzip that was made, now a blob in the store. */
  form: CompressedLayer;
  /** Why the registry did not take it, when it did not: the stored blob can be sent instead. */
  uploadError?: unknown;
}

export interface StreamedLayerOptions {
  level: number;
  /** Bytes of the layer's tar taken by the compressors so far (what Docker counts as pushed). */
  onBytes: (read: number) => void;
  signal?: AbortSignal;
}

/**
 * Gzips a layer's exact tar and uploads the gzip while it is made, instead of storing it whole
 * first: it goes to the blob store (for later pushes, its digest computed as it is written) and,
 * as one streamed PATCH, to an upload opened before; the closing PUT names the digest the store
 * found. The compressors go as fast as the slower of disk and registry takes their output.
 *
 * Throws when the gzip could not be made (tar, compressor or disk failure, or `signal`), with the
 * upload abandoned and nothing left in the store. A gzip that was made stays stored even when the
 * upload failed; that failure is returned, for the caller to retry from the stored blob.
 */
export async function gzipWhileUploading(blobs: BlobStore, layers: LayerStore, client: RegistryClient, path: string, chainId: Digest, options: StreamedLayerOptions): Promise<StreamedLayer> {
  const signal = options.signal;
  // The POST answers a 401 and is sent again with a token; the PATCH after it, whose body cannot
  // be sent twice, then finds that token cached.
  const uploadUrl = await client.startUpload(path, signal);
  const tar = layers.openTar(chainId);
  const gzip = parallelGzip(options.level);
  const toStore = new PassThrough();
  const toRegistry = new PassThrough();
  // Their consumers, which may start after a failure, report it; an error here is not a crash.
  for (const branch of [toStore, toRegistry]) branch.on('error', () => {});
  pipeline(tar, byteCounter(options.onBytes), gzip, signal ? { signal } : {}).catch((error: unknown) => {
    toStore.destroy(error as Error);
    toRegistry.destroy(error as Error);
  });
  // A stream piped to several destinations waits for the slowest, and carries on with the
  // others when one closes.
  gzip.pipe(toStore);
  gzip.pipe(toRegistry);

  const staging = blobs.stage(toStore);
  // A store that fails (disk full) leaves no digest to close the upload with: stop everything.
  staging.catch((error: unknown) => {
    gzip.destroy();
    toRegistry.destroy(error as Error);
  });
  const sending = client.uploadStreamed(path, uploadUrl, toRegistry, signal);
  // A registry that fails stops taking the gzip: the store gets the rest of it alone.
  sending.catch(() => toRegistry.destroy());

  const [stored, sent] = await Promise.allSettled([staging, sending]);
  if (stored.status === 'rejected') throw stored.reason;
  const staged = stored.value;
  const form: CompressedLayer = { digest: staged.digest, size: staged.size, mediaType: MediaType.dockerLayerGzip, sources: [] };
  const [committed, closed] = await Promise.allSettled([
    staged.commit(),
    sent.status === 'fulfilled' ? client.finishUpload(path, sent.value, staged.digest, signal) : Promise.reject(sent.reason),
  ]);
  if (committed.status === 'rejected') {
    await staged.discard();
    throw committed.reason;
  }
  return closed.status === 'rejected' ? { form, uploadError: closed.reason } : { form };
}
