import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../common/errors.js';
import { BlobStore } from '../store/blob-store.js';
import type { Digest } from '../store/digest.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { type ContainersUsingImage, type ImageDeleteItem, deleteImage } from './image-delete.js';
import type { ExecutionConfig } from './image-config.js';
import { type ImageFilters, type ListCandidate, selectImages, validateImageFilters } from './image-filters.js';
import { ImageStore, type StoredImage } from './image-store.js';
import { type HistoryItem, type ImageInspect, type ImageSummary, historyView, inspectView, summaryView } from './image-views.js';
import { type ImportOptions, importRootfs, repoTagReference } from './import.js';
import { type LoadProgress, type LoadedImage, loadImages } from './archive/load.js';
import { type ArchiveFormat, saveArchive } from './archive/save.js';
import { selectImagesToSave } from './archive/save-selection.js';
import { type LayerRecord, LayerStore } from './layer-store.js';
import { type ImageReference, familiarName, familiarString, parseNormalizedNamed, referenceName, referenceString, validateTag, withDefaultTag } from '../common/image-reference.js';
import { type ProgressSink, ignoreProgress } from './progress.js';
import { pullImage, pullReference } from './registry/pull.js';
import { type PushResult, pushImage } from './registry/push.js';
import { RegistryAccess } from './registry/registry-access.js';
import { type LoginResult, login } from './registry/registry-login.js';
import { type SearchFilters, type SearchResult, searchRegistry } from './registry/registry-search.js';
import type { RegistryCredentials } from './registry/registry-session.js';
import { RootfsManager } from './rootfs.js';

export const defaultDataRoot = '/var/lib/berth';

export interface ImageServiceOptions {
  /** Which containers use an image; the container code supplies it. Without it no image is in use. */
  containersUsing?: ContainersUsingImage;
  /** Registry settings (mirrors, insecure registries, concurrency); Docker's defaults without. */
  registries?: RegistryAccess;
  /** Told of each image event Docker reports (pull, push, tag, untag, delete, import, load, save). */
  onEvent?: ImageEventSink;
}

/** An image event: Docker's action, the actor id (an image id or, for pull and push, the reference) and its name. */
export type ImageEventSink = (action: string, id: string, attributes: { name: string }) => void;

export interface TransferOptions {
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  onProgress?: ProgressSink;
}

/**
 * The engine's one entry point to images, layers and container root filesystems
 * under a data root:
 *
 *     blobs/sha256/<hex>          configs (and later manifests, compressed layers)
 *     layers/<chain-hex>/diff/    each layer unpacked once; layer.json beside it
 *     overlay/l/<short>           short symlinks to layer diffs, for mount options
 *     overlay/empty/              lower dir of images without layers
 *     images/<id-hex>.json        image records
 *     repositories.json           references → image ids
 *     containers/<id>/rootfs/     upper, work, merged, layers.json
 *
 * State changes that decide whether a layer is referenced (image records,
 * references, container rootfs records, layer removal) run one at a time.
 */
export class ImageService {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  readonly images: ImageStore;
  readonly rootfs: RootfsManager;
  private readonly stateLock = new KeyedMutex();
  private readonly containersUsing: ContainersUsingImage;
  readonly registries: RegistryAccess;
  private readonly onEvent: ImageEventSink;

  private constructor(
    readonly root: string,
    options: ImageServiceOptions,
  ) {
    this.blobs = new BlobStore(join(root, 'blobs'));
    this.layers = new LayerStore(join(root, 'layers'), join(root, 'overlay', 'l'));
    this.images = new ImageStore(root, this.blobs, this.layers);
    this.rootfs = new RootfsManager(join(root, 'containers'), this.layers, join(root, 'overlay', 'empty'));
    this.containersUsing = options.containersUsing ?? (() => []);
    this.registries = options.registries ?? new RegistryAccess();
    this.onEvent = options.onEvent ?? (() => {});
  }

  /** Opens the store, clearing what an interrupted run left half-made and layers nothing uses. */
  static async open(root: string = defaultDataRoot, options: ImageServiceOptions = {}): Promise<ImageService> {
    const service = new ImageService(root, options);
    await mkdir(root, { recursive: true, mode: 0o710 });
    await service.blobs.removeTemporaries();
    await service.layers.removeTemporaries();
    await service.collectLayers((await service.layers.list()).map((layer) => layer.chainId));
    return service;
  }

  serialize<T>(work: () => Promise<T>): Promise<T> {
    return this.stateLock.run('state', work);
  }

  /** Removes those of `chainIds` that no image or container uses; returns them, top layers first. */
  collectLayers(chainIds: readonly Digest[]): Promise<Digest[]> {
    return this.serialize(() => this.collectLayersLocked(chainIds));
  }

  private async collectLayersLocked(chainIds: readonly Digest[]): Promise<Digest[]> {
    const used = await this.rootfs.layersInUse();
    for (const image of await this.images.list()) for (const chainId of image.chainIds) used.add(chainId);
    const removed: LayerRecord[] = [];
    for (const chainId of [...chainIds].reverse()) {
      const layer = used.has(chainId) ? undefined : await this.layers.remove(chainId);
      if (layer !== undefined) removed.push(layer);
    }
    await this.removeOrphanedBlobsLocked(removed.flatMap((layer) => (layer.compressed ?? []).map((form) => form.digest)));
    return removed.map((layer) => layer.chainId);
  }

  /** Deletes those of these compressed layer blobs that no remaining layer lists. */
  private async removeOrphanedBlobs(digests: readonly Digest[]): Promise<void> {
    await this.serialize(() => this.removeOrphanedBlobsLocked(digests));
  }

  private async removeOrphanedBlobsLocked(digests: readonly Digest[]): Promise<void> {
    if (digests.length === 0) return;
    const listed = new Set((await this.layers.list()).flatMap((layer) => (layer.compressed ?? []).map((form) => form.digest)));
    for (const digest of new Set(digests)) if (!listed.has(digest)) await this.blobs.delete(digest);
  }

  async import(source: Readable, options: ImportOptions = {}): Promise<Digest> {
    const id = await importRootfs(this.storeContext(), source, options);
    this.onEvent('import', id, { name: id });
    return id;
  }

  /** The stores and their serialized upkeep, as import, pull, push and load work with them. */
  private storeContext() {
    return {
      blobs: this.blobs,
      layers: this.layers,
      images: this.images,
      registries: this.registries,
      serialize: <T>(work: () => Promise<T>) => this.serialize(work),
      collectLayers: (ids: readonly Digest[]) => this.collectLayers(ids),
      discardBlobs: (digests: readonly Digest[]) => this.removeOrphanedBlobs(digests),
    };
  }

  /**
   * `docker pull`: by tag or digest; a name with neither pulls every tag of the repository,
   * as Docker's API does. Returns the ids of the images pulled.
   */
  async pull(name: string, tag: string | undefined, options: TransferOptions & { platform?: string } = {}): Promise<Digest[]> {
    const reference = pullReference(name, tag);
    const onProgress = options.onProgress ?? ignoreProgress;
    const pullOptions = { onProgress, ...(options.platform ? { platform: options.platform } : {}), ...(options.credentials ? { credentials: options.credentials } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    const pullOne = async (one: ImageReference): Promise<Digest> => {
      const id = await pullImage(this.storeContext(), one, pullOptions);
      this.onEvent('pull', familiarString(one), { name: familiarName(one) });
      return id;
    };
    if (reference.tag !== undefined || reference.digest !== undefined) return [await pullOne(reference)];
    const client = this.registries.client(reference.domain, options.credentials);
    const tags = await client.listTags(reference.path, options.signal);
    if (tags.length === 0) throw notFound(`repository ${familiarName(reference)} has no tags`);
    const ids: Digest[] = [];
    for (const each of tags) ids.push(await pullOne({ ...reference, tag: each }));
    return ids;
  }

  /** `docker push`: one tag, or every tag of the repository when none is given. */
  async push(name: string, tag: string | undefined, options: TransferOptions = {}): Promise<PushResult[]> {
    const named = parseNormalizedNamed(name);
    if (named.digest !== undefined) throw invalidArgument('cannot push a digest reference');
    const wantedTag = tag !== undefined && tag !== '' ? validateTag(tag) : named.tag;
    const tags =
      wantedTag !== undefined
        ? [wantedTag]
        : (await this.images.allReferences())
            .filter((entry) => entry.reference.tag !== undefined && entry.reference.domain === named.domain && entry.reference.path === named.path)
            .map((entry) => entry.reference.tag!)
            .sort();
    const missing = notFound(`An image does not exist locally with the tag: ${familiarName(named)}`);
    if (tags.length === 0) throw missing;
    const targets: Array<{ tag: string; image: StoredImage }> = [];
    for (const each of tags) {
      targets.push({ tag: each, image: await this.resolve(referenceString({ ...named, tag: each })).catch(() => Promise.reject(missing)) });
    }
    options.onProgress?.({ status: `The push refers to repository [${referenceName(named)}]` });
    const results: PushResult[] = [];
    for (const { tag: each, image } of targets) {
      results.push(
        await pushImage(this.storeContext(), image, { domain: named.domain, path: named.path, tag: each }, {
          onProgress: options.onProgress ?? ignoreProgress,
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      );
      this.onEvent('push', familiarString({ ...named, tag: each }), { name: familiarName(named) });
    }
    return results;
  }

  login(serverAddress: string, credentials: RegistryCredentials): Promise<LoginResult> {
    return login(this.registries, serverAddress, credentials);
  }

  search(term: string, options: { limit?: number; filters?: SearchFilters; credentials?: RegistryCredentials } = {}): Promise<SearchResult[]> {
    return searchRegistry(this.registries, term, options);
  }

  /**
   * `docker save`: the named images (references, ids or id prefixes; a bare repository name
   * means all its tags) as one archive stream. An unknown name fails before anything is
   * streamed.
   */
  async save(names: readonly string[], options: { format?: ArchiveFormat } = {}): Promise<Readable> {
    const pin = this.layers.pin();
    try {
      const selection = await this.serialize(async () => {
        const selected = selectImagesToSave(names, { references: await this.images.allReferences(), ids: await this.images.ids() });
        for (const { id } of selected) for (const chainId of (await this.resolve(id)).chainIds) pin.add(chainId);
        return selected;
      });
      const archive = await saveArchive({ layers: this.layers, blobs: this.blobs, images: this.images }, selection, options.format ?? 'docker', pin);
      for (const { id } of selection) this.onEvent('save', id, { name: id });
      return archive;
    } catch (error) {
      pin.release();
      throw error;
    }
  }

  /** `docker load`: stores the images of a docker-archive or OCI layout stream, with their tags. */
  async load(source: Readable, onProgress?: (progress: LoadProgress) => void): Promise<{ images: LoadedImage[] }> {
    const images = await loadImages(this.storeContext(), source, onProgress);
    for (const image of images) this.onEvent('load', image.id, { name: image.references[0] === undefined ? image.id : familiarString(image.references[0]) });
    return { images };
  }

  resolve(reference: string): Promise<StoredImage> {
    return this.images.resolve(reference);
  }

  private async layerSizes(): Promise<Map<Digest, number>> {
    return new Map((await this.layers.list()).map((layer) => [layer.chainId, layer.size]));
  }

  async list(options: { all?: boolean; filters?: ImageFilters } = {}): Promise<ImageSummary[]> {
    const filters = options.filters ?? {};
    validateImageFilters(filters);
    const bounds = {
      ...(filters.before?.length ? { before: await this.resolve(filters.before.at(-1)!) } : {}),
      ...(filters.since?.length ? { since: await this.resolve(filters.since.at(-1)!) } : {}),
    };
    const images = await this.images.list();
    const references = await this.images.allReferences();
    const parents = new Set(images.map((image) => image.record.parent).filter((parent) => parent !== undefined));
    const candidates: ListCandidate[] = images.map((image) => ({
      image,
      references: references.filter((entry) => entry.id === image.id).map((entry) => entry.reference),
      hasChildren: parents.has(image.id),
    }));
    const sizes = await this.layerSizes();
    return selectImages(candidates, filters, { all: options.all === true, bounds })
      .map((listed) => summaryView(listed.image, listed, sizes))
      .sort((a, b) => b.Created - a.Created);
  }

  async inspect(reference: string): Promise<ImageInspect> {
    const image = await this.resolve(reference);
    return inspectView(
      image,
      await this.images.referencesTo(image.id),
      await this.layerSizes(),
      image.chainIds.map((chainId) => this.layers.diffDir(chainId)),
    );
  }

  async history(reference: string): Promise<HistoryItem[]> {
    const image = await this.resolve(reference);
    return historyView(image, await this.images.referencesTo(image.id), await this.layerSizes());
  }

  /** The execution settings a container starts from: Env, Cmd, Entrypoint, WorkingDir, User, ... */
  async imageConfig(reference: string): Promise<ExecutionConfig> {
    return structuredClone((await this.resolve(reference)).config.config ?? {});
  }

  /** `docker tag SOURCE REPO[:TAG]` (the API passes repo and tag apart). */
  tag(source: string, repo: string, tag?: string): Promise<void> {
    return this.serialize(async () => {
      const image = await this.resolve(source);
      const target = repoTagReference(repo, tag);
      if (target === undefined) throw invalidArgument('repository name must have at least one component');
      await this.images.addReference(target, image.id);
      this.onEvent('tag', image.id, { name: familiarString(target) });
    });
  }

  /** Removes one tag or digest reference, never the image. */
  untag(reference: string): Promise<void> {
    return this.serialize(async () => {
      const named = withDefaultTag(parseNormalizedNamed(reference));
      if ((await this.images.removeReference(named)) === undefined) throw notFound(`No such image: ${reference}`);
    });
  }

  /** `docker rmi`: Docker's untag/delete rules, then the image's layers nothing else uses. */
  remove(reference: string, options: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.serialize(async () => {
      const outcome = await deleteImage(this.images, reference, {
        force: options.force === true,
        containersUsing: this.containersUsing,
      });
      for (const item of outcome.items) {
        if (item.Untagged !== undefined) this.onEvent('untag', outcome.imageId, { name: item.Untagged });
        if (item.Deleted !== undefined) this.onEvent('delete', item.Deleted, { name: item.Deleted });
      }
      if (outcome.deleted === undefined) return outcome.items;
      const removedLayers = await this.collectLayersLocked(outcome.deleted.chainIds);
      return [...outcome.items, ...removedLayers.map((chainId) => ({ Deleted: chainId }))];
    });
  }

  /**
   * Creates (first time) and mounts a container's rootfs from an image; returns the
   * merged directory. Calling it again for a stopped container remounts it with
   * its changes kept.
   */
  async prepareRootfs(containerId: string, imageReference: string): Promise<string> {
    const created = await this.serialize(async () => {
      const image = await this.resolve(imageReference);
      return this.rootfs.create(containerId, image.id, image.chainIds);
    });
    try {
      return await this.rootfs.mount(containerId);
    } catch (error) {
      if (created) await this.releaseRootfs(containerId);
      throw error;
    }
  }

  /** Unmounts a container's rootfs and keeps its changes (stop). */
  unmountRootfs(containerId: string): Promise<void> {
    return this.rootfs.unmount(containerId);
  }

  /** Unmounts and deletes a container's rootfs (container removal); its layers may then be collected. */
  async releaseRootfs(containerId: string): Promise<void> {
    const record = await this.rootfs.record(containerId);
    await this.serialize(() => this.rootfs.remove(containerId));
    if (record !== undefined && (await this.images.get(record.imageId)) === undefined) {
      await this.collectLayers(record.layers);
    }
  }

  /** Bytes a container has written to its rootfs (`SizeRw`). */
  rootfsUsage(containerId: string): Promise<number> {
    return this.rootfs.usage(containerId);
  }
}
