import { Readable } from 'node:stream';
import { BerthError, invalidArgument, isBerthError, notFound } from '../../common/errors.js';
import { Semaphore } from '../../common/semaphore.js';
import { tee } from '../../common/tee.js';
import type { BlobStore } from '../../store/blob-store.js';
import { type Digest, sha256Digest } from '../../store/digest.js';
import { chainIds } from '../chain-id.js';
import { type ImageStore, parseImageConfig } from '../image-store.js';
import type { LayerStore } from '../layer-store.js';
import { type ProgressSink, shortDigest, throttledBytes } from '../progress.js';
import { type ImageReference, familiarName, familiarString, parseNormalizedNamed, referenceName, validateTag } from '../../common/image-reference.js';
import { downloadBlob } from './blob-download.js';
import type { Descriptor } from '../media-types.js';
import { type ImageManifest, parseManifest } from './manifest.js';
import { formatPlatform, parsePlatform, selectPlatformManifest } from './platform.js';
import type { RegistryAccess } from './registry-access.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-errors.js';
import type { RegistryCredentials } from './registry-session.js';

/** The parts of the image service a pull works with. */
export interface PullContext {
  blobs: BlobStore;
  layers: LayerStore;
  images: ImageStore;
  registries: RegistryAccess;
  serialize: <T>(work: () => Promise<T>) => Promise<T>;
  /** Removes those of these layers that no image or container uses. */
  collectLayers: (chainIds: readonly Digest[]) => Promise<Digest[]>;
  /** Removes those of these compressed blobs that no layer lists. */
  discardBlobs: (digests: readonly Digest[]) => Promise<void>;
}

export interface PullOptions {
  /** `os[/arch[/variant]]`; the host's when absent. */
  platform?: string;
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  onProgress: ProgressSink;
}

/**
 * The reference a pull request names (`fromImage` and `tag` apart, as the API passes them):
 * a tag replaces the name's own, a digest as tag pins it; with neither, the bare name means
 * every tag of the repository.
 */
export function pullReference(fromImage: string, tag: string | undefined): ImageReference {
  const named = parseNormalizedNamed(fromImage);
  if (tag === undefined || tag === '') return named;
  if (tag.startsWith('sha256:')) return parseNormalizedNamed(`${familiarName(named)}@${tag}`);
  return { domain: named.domain, path: named.path, tag: validateTag(tag) };
}

/** Docker's wording for a manifest the registry would not give. */
function manifestFailure(reference: ImageReference, error: unknown): unknown {
  if (!(error instanceof RegistryError)) return error;
  const cause = error.message;
  if (error.status === 401 || error.status === 403 || error.hasCode('DENIED') || error.hasCode('UNAUTHORIZED')) {
    return new BerthError(
      'not-found',
      `pull access denied for ${familiarName(reference)}, repository does not exist or may require 'docker login': ${cause}`,
    );
  }
  if (error.status === 404) {
    if (error.hasCode('NAME_UNKNOWN')) return notFound(`repository ${familiarName(reference)} not found: ${cause}`);
    return notFound(`manifest for ${familiarString(reference)} not found: ${cause}`);
  }
  return error;
}

interface ResolvedManifest {
  manifest: ImageManifest;
  /** The bytes and digest of the image manifest itself (the platform's one, for an index). */
  bytes: Buffer;
  digest: Digest;
  /** What the tag or digest points to: the index's digest when there is one (Docker's RepoDigest). */
  topDigest: Digest;
}

async function resolveManifest(client: RegistryClient, reference: ImageReference, options: PullOptions): Promise<ResolvedManifest> {
  const wanted = parsePlatform(options.platform);
  const tagOrDigest = reference.digest ?? reference.tag!;
  const top = await client.getManifest(reference.path, tagOrDigest, options.signal);
  const parsed = parseManifest(top.bytes, top.contentType);
  if (parsed.kind === 'manifest') return { manifest: parsed, bytes: top.bytes, digest: top.digest, topDigest: top.digest };
  const chosen = selectPlatformManifest(parsed.manifests, wanted);
  const platformManifest = await client.getManifest(reference.path, chosen.digest, options.signal);
  const inner = parseManifest(platformManifest.bytes, platformManifest.contentType ?? chosen.mediaType);
  if (inner.kind !== 'manifest') throw invalidArgument(`manifest ${chosen.digest} for ${formatPlatform(wanted)} is itself an index`);
  return { manifest: inner, bytes: platformManifest.bytes, digest: platformManifest.digest, topDigest: top.digest };
}

/**
 * Pulls one image by tag or digest: manifest (and platform selection from an index),
 * config, then the layers — up to `maxConcurrentDownloads` at once, each one stored as its
 * compressed blob and unpacked from the same bytes as they arrive. Layers already present
 * are not fetched. Every blob is checked (size, digest; the unpacked content against the
 * config's diff id) before anything refers to it; on failure the layers and blobs this pull
 * brought are removed again. Returns the image id.
 */
export async function pullImage(context: PullContext, reference: ImageReference, options: PullOptions): Promise<Digest> {
  const progress = options.onProgress;
  const client = context.registries.client(reference.domain, options.credentials);
  let resolved: ResolvedManifest;
  try {
    resolved = await resolveManifest(client, reference, options);
  } catch (error) {
    throw manifestFailure(reference, error);
  }
  const { manifest } = resolved;
  const tagOrDigest = reference.digest ?? reference.tag!;
  progress({ id: tagOrDigest, status: `Pulling from ${familiarName(reference)}` });

  const configBytes = await client.getBlob(reference.path, manifest.config, options.signal);
  const config = parseImageConfig(configBytes);
  const imageId = sha256Digest(configBytes);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw invalidArgument(`layers from manifest don't match image configuration: the manifest has ${manifest.layers.length} layers, the config ${config.rootfs.diff_ids.length}`);
  }
  const layerChain = chainIds(config.rootfs.diff_ids);
  const alreadyHad = (await context.images.get(imageId)) !== undefined;
  const report: ProgressSink = alreadyHad ? () => {} : progress;

  const pin = context.layers.pin();
  const storedBlobs: Digest[] = [];
  try {
    const downloads = new Semaphore(context.registries.maxConcurrentDownloads);
    for (const layer of manifest.layers) report({ id: shortDigest(layer.digest), status: 'Pulling fs layer', current: 0, total: 0 });
    const results = await Promise.allSettled(
      manifest.layers.map((layer, index) =>
        pullLayer(context, client, reference.path, layer, {
          diffId: config.rootfs.diff_ids[index]!,
          parent: index === 0 ? null : layerChain[index - 1]!,
          chainId: layerChain[index]!,
          downloads,
          pin,
          report,
          options,
          storedBlobs,
        }),
      ),
    );
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    const manifestDigest = resolved.digest;
    await context.blobs.put(resolved.bytes, { digest: manifestDigest });
    storedBlobs.push(manifestDigest);
    const outcome = await context.serialize(async () => {
      const image = await context.images.create(configBytes);
      await context.images.updateRecord({ ...image.record, manifest: { digest: manifestDigest, mediaType: manifest.mediaType } });
      const previous = reference.tag === undefined ? undefined : await context.images.lookupReference(reference);
      if (reference.tag !== undefined) await context.images.addReference(reference, image.id);
      await context.images.addReference({ domain: reference.domain, path: reference.path, digest: resolved.topDigest }, image.id);
      return { upToDate: alreadyHad && (reference.tag === undefined || previous === image.id) };
    });
    progress({ status: `Digest: ${resolved.topDigest}` });
    progress({ status: `Status: ${outcome.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(reference)}` });
    return imageId;
  } catch (error) {
    pin.release();
    await context.collectLayers(layerChain);
    await context.discardBlobs(storedBlobs);
    throw error;
  } finally {
    pin.release();
  }
}

interface LayerJob {
  diffId: Digest;
  parent: Digest | null;
  chainId: Digest;
  downloads: Semaphore;
  pin: import('../layer-store.js').LayerPin;
  report: ProgressSink;
  options: PullOptions;
  storedBlobs: Digest[];
}

async function pullLayer(context: PullContext, client: RegistryClient, path: string, layer: Descriptor, job: LayerJob): Promise<void> {
  const id = shortDigest(layer.digest);
  const { report } = job;
  if (layer.urls !== undefined && layer.urls.length > 0 && !(await context.layers.has(job.chainId))) {
    throw invalidArgument(`layer ${layer.digest} is a foreign layer served from ${layer.urls[0]}: berth does not fetch foreign layers`);
  }
  let stored: Promise<void> | undefined;
  let release: (() => void) | undefined;
  try {
    await context.layers.ensure(
      job.diffId,
      job.parent,
      async () => {
        if (job.downloads.full) report({ id, status: 'Waiting' });
        release = await job.downloads.acquire();
        const onBytes = throttledBytes(report, id, 'Downloading', layer.size);
        const source = Readable.from(
          downloadBlob(client, path, layer, {
            onBytes,
            attempts: context.registries.maxDownloadAttempts,
            ...(job.options.signal ? { signal: job.options.signal } : {}),
          }),
        );
        const [toBlob, toLayer] = tee(source);
        stored = context.blobs.put(toBlob, { digest: layer.digest, size: layer.size }).then(async () => {
          job.storedBlobs.push(layer.digest);
          report({ id, status: 'Verifying Checksum' });
          report({ id, status: 'Download complete' });
          report({ id, status: 'Extracting', current: layer.size, total: layer.size });
        });
        // A failed blob write must not be reported as unhandled while the unpack is still running.
        stored.catch(() => {});
        return toLayer;
      },
      job.pin,
    );
    if (stored === undefined) {
      report({ id, status: 'Already exists' });
      return;
    }
    await stored;
    await context.layers.addCompressed(job.chainId, { digest: layer.digest, size: layer.size, mediaType: layer.mediaType, sources: [referenceName({ domain: client.session.domain, path })] });
    report({ id, status: 'Pull complete' });
  } catch (error) {
    // The blob's own verification names the real fault (a corrupt blob) better than the unpack's.
    const blobFailure = stored === undefined ? undefined : await stored.then(() => undefined, (failure: unknown) => failure);
    throw describeLayerFailure(layer, blobFailure ?? error);
  } finally {
    release?.();
  }
}

function describeLayerFailure(layer: Descriptor, error: unknown): unknown {
  if (!isBerthError(error)) return error;
  if (/digest mismatch|size mismatch|larger than/.test(error.message)) {
    return new BerthError('invalid-argument', `filesystem layer verification failed for digest ${layer.digest}`, { cause: error });
  }
  return error;
}
