import type { Readable } from 'node:stream';
import { Semaphore } from '../../common/semaphore.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { Digest } from '../../store/digest.js';
import type { ImageStore, StoredImage } from '../image-store.js';
import type { CompressedLayer, LayerRecord, LayerStore } from '../layer-store.js';
import { type ProgressSink, byteCounter, shortDigest, throttledBytes } from '../progress.js';
import { type ImageReference, familiarName, referenceName } from '../../common/image-reference.js';
import { type Descriptor, MediaType } from '../media-types.js';
import { parseManifest } from './manifest.js';
import type { RegistryAccess } from './registry-access.js';
import type { RegistryClient } from './registry-client.js';
import { gzipWhileUploading } from './streamed-layer.js';
import type { RegistryCredentials } from './registry-session.js';

/** Blobs up to this size go in one request; larger ones in chunks of this size (resumable by the registry). */
export const UPLOAD_CHUNK_BYTES = 64 * 1024 * 1024;
/**
 * Layers that arrived uncompressed (import, load of plain tars, later commit and build) are
 * gzipped once for their first push, and the result is kept for later pushes. On the machines
 * berth targets the push is bound by compression, so: ISA-L's igzip on every core (see
 * parallel-gzip.ts), at its level 2, as fast as its level 1 here and ~1 % smaller: ~430 MB/s a
 * core, where libdeflate's fastest level did 170 MB/s and zlib's 100 MB/s, for gzips 4–5 %
 * larger than libdeflate's and ~9 % larger than Docker's (Go's default level).
 */
const PUSH_GZIP_LEVEL = 2;

export interface PushContext {
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  registries: RegistryAccess;
  serialize: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface PushOptions {
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  onProgress: ProgressSink;
}

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

/**
 * Pushes a stored image as `reference`'s tag: each layer's kept compressed blob (the one it was
 * pulled or loaded as, or the gzip of an earlier push), skipped when the repository has it, mounted
 * from another repository of the same registry that is known to hold it, else uploaded (whole, or
 * in chunks when large); a layer with none is gzipped now, uploaded as it is made, and the gzip
 * kept. Then the config and the manifest. The manifest the image came with is sent unchanged when
 * it still describes these blobs, so the digest stays the same from registry to registry.
 */
export async function pushImage(context: PushContext, image: StoredImage, reference: ImageReference & { tag: string }, options: PushOptions): Promise<PushResult> {
  const progress = options.onProgress;
  const client = context.registries.client(reference.domain, options.credentials, { forPush: true });
  const repository = referenceName(reference);
  const uploads = new Semaphore(context.registries.maxConcurrentUploads);
  const diffIds = image.config.rootfs.diff_ids;
  for (const diffId of [...diffIds].reverse()) progress({ id: shortDigest(diffId), status: 'Preparing' });
  const recorded = await recordedManifest(context, image);
  const results = await Promise.allSettled(
    image.chainIds.map(async (chainId, index) => {
      const id = shortDigest(diffIds[index]!);
      if (uploads.full) progress({ id, status: 'Waiting' });
      return uploads.run(async () => {
        const layer = await context.layers.require(chainId);
        let form = await keptForm(context, layer, recorded?.layers[index]);
        if (form !== undefined) await sendBlob(context, client, reference, form, id, options);
        else form = await sendNewForm(context, client, reference, chainId, layer.tarSize, id, options);
        await context.layers.addCompressed(chainId, { ...form, sources: [repository] });
        return form;
      });
    }),
  );
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const forms = results.map((result) => (result as PromiseFulfilledResult<CompressedLayer>).value);

  const configBytes = await context.blobs.get(image.id);
  if (!(await client.blobExists(reference.path, image.id, options.signal))) {
    const uploadUrl = await client.startUpload(reference.path, options.signal);
    await client.uploadWhole(reference.path, uploadUrl, image.id, configBytes, configBytes.length, options.signal);
  }

  const reuse = recorded !== undefined && recorded.layers.every((layer, index) => layer.digest === forms[index]!.digest);
  const manifest = reuse ? { bytes: recorded.bytes, mediaType: recorded.mediaType } : buildManifest(image.id, configBytes.length, forms);
  const digest = await client.putManifest(reference.path, reference.tag, manifest.mediaType, manifest.bytes, options.signal);
  await context.blobs.put(manifest.bytes, { digest });
  await context.serialize(async () => {
    const current = await context.images.get(image.id);
    if (current === undefined) return;
    const previous = current.record.manifest?.digest;
    await context.images.updateRecord({ ...current.record, manifest: { digest, mediaType: manifest.mediaType } });
    if (previous !== undefined && previous !== digest) await context.blobs.delete(previous);
    await context.images.addReference({ domain: reference.domain, path: reference.path, digest }, image.id);
  });
  progress({ status: `${reference.tag}: digest: ${digest} size: ${manifest.bytes.length}` });
  return { tag: reference.tag, digest, size: manifest.bytes.length };
}

interface RecordedManifest {
  bytes: Buffer;
  mediaType: string;
  layers: Descriptor[];
}

/** The manifest the image came with, when it is still in the store and names this image's config. */
async function recordedManifest(context: PushContext, image: StoredImage): Promise<RecordedManifest | undefined> {
  const recorded = image.record.manifest;
  if (recorded === undefined || !(await context.blobs.has(recorded.digest))) return undefined;
  const bytes = await context.blobs.get(recorded.digest);
  const parsed = parseManifest(bytes, recorded.mediaType);
  if (parsed.kind !== 'manifest' || parsed.config.digest !== image.id || parsed.layers.length !== image.chainIds.length) return undefined;
  return { bytes, mediaType: parsed.mediaType, layers: parsed.layers };
}

function buildManifest(configDigest: Digest, configSize: number, forms: readonly CompressedLayer[]): { bytes: Buffer; mediaType: string } {
  const oci = forms.some((form) => form.mediaType.startsWith('application/vnd.oci.'));
  const body = {
    schemaVersion: 2,
    mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
    config: { mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, size: configSize, digest: configDigest },
    layers: forms.map((form) => ({ mediaType: form.mediaType, size: form.size, digest: form.digest })),
  };
  return { bytes: Buffer.from(JSON.stringify(body, null, 3)), mediaType: body.mediaType };
}

/** A stored compressed blob of the layer: the one the recorded manifest names if it is still there, else any. */
async function keptForm(context: PushContext, layer: LayerRecord, preferred: Descriptor | undefined): Promise<CompressedLayer | undefined> {
  const candidates = [...(layer.compressed ?? [])].sort((a, b) => Number(b.digest === preferred?.digest) - Number(a.digest === preferred?.digest));
  for (const form of candidates) if (await context.blobs.has(form.digest)) return form;
  return undefined;
}

/**
 * Pushes a gzip of the layer's exact tar, uploaded as it is made and kept for later pushes.
 * When that upload fails but the gzip was made, it is sent once more from the store.
 */
async function sendNewForm(context: PushContext, client: RegistryClient, reference: ImageReference, chainId: Digest, tarSize: number | undefined, id: string, options: PushOptions): Promise<CompressedLayer> {
  const onBytes = throttledBytes(options.onProgress, id, 'Pushing', tarSize ?? 0);
  const streamed = await gzipWhileUploading(context.blobs, context.layers, client, reference.path, chainId, {
    level: PUSH_GZIP_LEVEL,
    onBytes,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (streamed.uploadError === undefined) {
    options.onProgress({ id, status: 'Pushed' });
    return streamed.form;
  }
  await context.layers.addCompressed(chainId, streamed.form);
  // A push whose client went away is not tried again.
  if (options.signal?.aborted === true) throw streamed.uploadError;
  await sendBlob(context, client, reference, streamed.form, id, options);
  return streamed.form;
}

async function sendBlob(context: PushContext, client: RegistryClient, reference: ImageReference, form: CompressedLayer, id: string, options: PushOptions): Promise<void> {
  const progress = options.onProgress;
  const signal = options.signal;
  if (await client.blobExists(reference.path, form.digest, signal)) {
    progress({ id, status: 'Layer already exists' });
    return;
  }
  let uploadUrl: string | undefined;
  for (const source of form.sources) {
    const slash = source.indexOf('/');
    const domain = source.slice(0, slash);
    const path = source.slice(slash + 1);
    if (domain !== reference.domain || path === reference.path) continue;
    const mount = await client.mountBlob(reference.path, form.digest, path, signal);
    if (mount.mounted) {
      progress({ id, status: `Mounted from ${familiarName({ domain, path })}` });
      return;
    }
    uploadUrl = mount.uploadUrl;
    break;
  }
  uploadUrl ??= await client.startUpload(reference.path, signal);
  const onBytes = throttledBytes(progress, id, 'Pushing', form.size);
  if (form.size <= UPLOAD_CHUNK_BYTES) {
    await client.uploadWhole(reference.path, uploadUrl, form.digest, await counted(context.blobs, form.digest, 0, form.size, onBytes), form.size, signal);
  } else {
    for (let start = 0; start < form.size; start += UPLOAD_CHUNK_BYTES) {
      const size = Math.min(UPLOAD_CHUNK_BYTES, form.size - start);
      uploadUrl = await client.uploadChunk(reference.path, uploadUrl, await counted(context.blobs, form.digest, start, size, onBytes), start, size, signal);
    }
    await client.finishUpload(reference.path, uploadUrl, form.digest, signal);
  }
  progress({ id, status: 'Pushed' });
}

/** A range of a stored blob as a stream that reports how far into the blob the sending is. */
async function counted(blobs: BlobStore, digest: Digest, start: number, size: number, onBytes: (sent: number) => void): Promise<Readable> {
  const source = await blobs.openRead(digest, { start, end: start + size - 1 });
  return source.pipe(byteCounter(onBytes, start));
}
