import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { concurrencyLimit } from '../../common/concurrency-limit.js';
import { internal, invalidArgument, isBerthError } from '../../common/errors.js';
import type { BlobStore } from '../../store/blob-store.js';
import { type Digest, sha256Digest } from '../../store/digest.js';
import { type Compression, detectCompression } from '../../tar/decompress.js';
import { BLOCK_SIZE, checksumMatches, isZeroBlock } from '../../tar/header.js';
import { readTar } from '../../tar/reader.js';
import { chainIdOf } from '../chain-id.js';
import { hostArchitecture } from '../image-config.js';
import type { ImageStore } from '../image-store.js';
import type { LayerPin, LayerStore, UnpackedLayer } from '../layer-store.js';
import { ociLayerMediaType } from '../media-types.js';
import type { ImageReference } from '../../common/image-reference.js';
import { archivePath, statedDigest } from './layout.js';
import { type PlannedImage, type PlannedLayer, planLoad } from './load-plan.js';
import { type FailedFile, type ReceivedFile, ReceivedFiles } from './received-files.js';

export interface LoadContext {
  layers: LayerStore;
  blobs: BlobStore;
  images: ImageStore;
  /** Runs a state change serialized with layer collection and other image changes. */
  serialize: <T>(work: () => Promise<T>) => Promise<T>;
  /** Removes those of these layers that no image or container uses. */
  collectLayers: (chainIds: readonly Digest[]) => Promise<Digest[]>;
}

export interface LoadedImage {
  id: Digest;
  /** The tags the archive gave the image. */
  references: ImageReference[];
  /** Of those, the ones that pointed at another image before (which is left without them). */
  moved: Array<{ reference: ImageReference; previous: Digest }>;
}

/** A layer of the archive has been unpacked. */
export interface LoadProgress {
  diffId: Digest;
  /** Length of the layer's uncompressed tar. */
  size: number;
}

/** Files up to this size are kept in memory while the archive arrives, up to MEMORY_BUDGET in all. */
const SMALL_FILE_BYTES = 1024 * 1024;
const MEMORY_BUDGET = 64 * 1024 * 1024;
/** Layers unpacked at once: each already keeps the thread pool busy with its file writes. */
const PARALLEL_UNPACKS = 2;

/**
 * `docker load`: reads an archive (Docker's docker-archive or an OCI image layout, plain or
 * compressed as a whole) from a stream and stores its images, layers and tags.
 *
 * Files are kept as they arrive (small ones in memory, others in the blob store's temporary
 * area) and every file that looks like a layer starts unpacking at once in the background, so
 * layers unpack while the rest of the archive is still arriving. Which files are layers, in
 * what order, is known from manifest.json or index.json, usually at the end; then each layer's
 * unpack is checked against the config's diff id and moved into place, skipping layers already
 * present. A layer file named by a digest that a present layer has (as a diff id or a
 * compressed blob) is not kept at all: that layer can give the content back if needed.
 *
 * A failure leaves nothing behind: no layer, blob, image, tag or temporary file.
 */
export async function loadImages(
  context: LoadContext,
  source: Readable,
  onProgress?: (progress: LoadProgress) => void,
): Promise<LoadedImage[]> {
  const loader = new ArchiveLoader(context, onProgress);
  try {
    return await loader.load(source);
  } catch (error) {
    source.destroy();
    await loader.rollback();
    throw error;
  } finally {
    await loader.cleanUp();
  }
}

class ArchiveLoader {
  private readonly files = new ReceivedFiles();
  private readonly limit = concurrencyLimit(PARALLEL_UNPACKS);
  /** The first unpack of each layer file, started while the archive arrived or before installing. */
  private readonly firstUnpack = new Map<ReceivedFile, Promise<UnpackedLayer>>();
  private readonly used = new Set<ReceivedFile>();
  private readonly unpacks: Promise<UnpackedLayer>[] = [];
  private readonly pin: LayerPin;
  /** Layers this load pinned, to collect again if it fails. */
  private readonly touched: Digest[] = [];
  /** Digests present layers can give back (diff ids and compressed blobs) → their chain id. */
  private known = new Map<Digest, Digest>();
  private memoryBytes = 0;

  constructor(
    private readonly context: LoadContext,
    private readonly onProgress: ((progress: LoadProgress) => void) | undefined,
  ) {
    this.pin = context.layers.pin();
  }

  async load(source: Readable): Promise<LoadedImage[]> {
    this.known = await this.reproducibleDigests();
    for await (const { header, body } of readTar(source)) {
      const path = archivePath(header.path);
      if (path === undefined) continue;
      if (header.type === 'file') await this.receive(path, header.size, body);
      else if (header.type === 'symlink') this.files.link(path, header.linkpath, { absolute: false });
      else if (header.type === 'hardlink') this.files.link(path, header.linkpath, { absolute: true });
    }
    const planned = await planLoad(this.files, { os: 'linux', architecture: hostArchitecture() });
    const sources = planned.map((image) => image.layers.map((layer) => this.checkedFile(layer)));
    await this.startNeededUnpacks(planned, sources);
    const compressed: Array<{ chainId: Digest; file: ReceivedFile; mediaType: string | undefined }> = [];
    for (const [index, image] of planned.entries()) {
      let parent: Digest | null = null;
      for (const [position, layer] of image.layers.entries()) {
        const file = sources[index]![position]!;
        parent = await this.provideLayer(layer, file, parent);
        if (file.compression !== 'none') compressed.push({ chainId: parent, file, mediaType: layer.mediaType });
      }
    }
    await this.keepCompressedBlobs(compressed);
    const loaded = await this.context.serialize(async () => {
      const results: LoadedImage[] = [];
      for (const image of planned) results.push(await this.storeImage(image));
      return results;
    });
    this.pin.release();
    return loaded;
  }

  /** Drops what a failed load made: pinned layers nothing else uses, and their blobs. */
  async rollback(): Promise<void> {
    this.pin.release();
    await Promise.allSettled(this.unpacks);
    if (this.touched.length > 0) await this.context.collectLayers(this.touched);
  }

  /** Removes temporaries: unpacks never installed, staged files never committed. */
  async cleanUp(): Promise<void> {
    this.pin.release();
    for (const outcome of await Promise.allSettled(this.unpacks)) {
      if (outcome.status === 'fulfilled') await this.context.layers.discard(outcome.value);
    }
    await Promise.all(this.files.staged.map((staged) => staged.discard()));
  }

  private async reproducibleDigests(): Promise<Map<Digest, Digest>> {
    const known = new Map<Digest, Digest>();
    for (const layer of await this.context.layers.list()) {
      if (!(await this.context.layers.canReassemble(layer.chainId))) continue;
      known.set(layer.diffId, layer.chainId);
      for (const form of layer.compressed ?? []) known.set(form.digest, layer.chainId);
    }
    return known;
  }

  /** Keeps one file of the archive, and starts unpacking it when it looks like a layer. */
  private async receive(path: string, size: number, body: AsyncIterable<Buffer>): Promise<void> {
    const stated = statedDigest(path);
    const reproducibleFrom = stated === undefined ? undefined : this.known.get(stated);
    if (reproducibleFrom !== undefined) {
      const hash = createHash('sha256');
      let head: Buffer | undefined;
      for await (const chunk of body) {
        head ??= chunk;
        hash.update(chunk);
      }
      const compression = detectCompression(head ?? Buffer.alloc(0));
      this.files.add({ path, size, digest: `sha256:${hash.digest('hex')}`, compression, reproducibleFrom });
      return;
    }

    const iterator = body[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let headLength = 0;
    const keepInMemory = size <= SMALL_FILE_BYTES && this.memoryBytes + size <= MEMORY_BUDGET;
    const wanted = keepInMemory ? size : BLOCK_SIZE;
    while (headLength < wanted) {
      const next = await iterator.next();
      if (next.done === true) break;
      head.push(next.value);
      headLength += next.value.length;
    }
    const first = Buffer.concat(head);
    const compression = detectCompression(first);
    const rest = async function* (): AsyncGenerator<Buffer> {
      yield first;
      // Not for-await: a consumer stopping early must leave the entry to the tar reader, which skips the rest.
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
    };
    if (keepInMemory) {
      this.memoryBytes += first.length;
      const file: ReceivedFile = { path, size, digest: sha256Digest(first), compression, content: first };
      this.files.add(file);
      if (looksLikeLayer(first, compression)) this.firstUnpack.set(file, this.unpack(file));
    } else if (compression === 'none' && looksLikeLayer(first, compression)) {
      // An uncompressed layer unpacks straight from the archive: its digest is the diff id the
      // unpack measures, and the tar-split can give its bytes back, so nothing else is kept.
      this.files.add(await this.unpackInline(path, Readable.from(rest(), { objectMode: false })));
    } else {
      const staged = await this.context.blobs.stage(rest());
      const file: ReceivedFile = { path, size: staged.size, digest: staged.digest, compression, staged };
      this.files.add(file);
      if (looksLikeLayer(first, compression)) this.firstUnpack.set(file, this.unpack(file));
    }
  }

  private async unpackInline(path: string, source: Readable): Promise<ReceivedFile | FailedFile> {
    const unpacking = this.context.layers.unpack(source);
    this.unpacks.push(unpacking);
    try {
      const unpacked = await unpacking;
      this.onProgress?.({ diffId: unpacked.diffId, size: unpacked.tarSize });
      const file: ReceivedFile = { path, size: unpacked.tarSize, digest: unpacked.diffId, compression: 'none' };
      this.firstUnpack.set(file, unpacking);
      return file;
    } catch (error) {
      // Maybe no layer at all: an error only if the archive's manifest names it as one.
      return { path, failure: error };
    }
  }

  /** The file a planned layer names, checked against the digest and size the archive states. */
  private checkedFile(layer: PlannedLayer): ReceivedFile {
    const file = this.files.get(layer.path);
    if (file === undefined) throw invalidArgument(`invalid archive: the layer ${layer.path} is missing`);
    if ('failure' in file) throw layerError(layer, file.failure);
    if (layer.digest !== undefined && file.digest !== layer.digest) {
      throw invalidArgument(`invalid archive: the layer ${layer.path} has digest ${file.digest}, not ${layer.digest}`);
    }
    if (layer.size !== undefined && file.size !== layer.size) {
      throw invalidArgument(`invalid archive: the layer ${layer.path} has ${file.size} bytes, not ${layer.size}`);
    }
    return file;
  }

  /** Starts unpacking, in parallel, every layer file a missing layer needs and none has unpacked yet. */
  private async startNeededUnpacks(planned: PlannedImage[], sources: ReceivedFile[][]): Promise<void> {
    for (const [index, image] of planned.entries()) {
      let parent: Digest | null = null;
      for (const [position, layer] of image.layers.entries()) {
        const file = sources[index]![position]!;
        parent = chainIdOf(parent, layer.diffId);
        if (!this.firstUnpack.has(file) && !(await this.context.layers.has(parent))) this.firstUnpack.set(file, this.unpack(file));
      }
    }
  }

  /** Puts one layer in place (or pins the one present) on top of `parent`; returns its chain id. */
  private async provideLayer(layer: PlannedLayer, file: ReceivedFile, parent: Digest | null): Promise<Digest> {
    const chainId = chainIdOf(parent, layer.diffId);
    this.touched.push(chainId);
    if (await this.context.layers.has(chainId)) {
      await this.context.layers.ensure(layer.diffId, parent, async () => this.open(file), this.pin);
      return chainId;
    }
    const unpacked = await this.takeUnpack(file).catch((error: unknown) => {
      throw layerError(layer, error);
    });
    if (unpacked.diffId !== layer.diffId) {
      await this.context.layers.discard(unpacked);
      throw invalidArgument(`invalid archive: the layer ${layer.path} has diff id ${unpacked.diffId}, its image config says ${layer.diffId}`);
    }
    await this.context.layers.install(unpacked, parent, this.pin);
    // Content that was not kept can now come back from the layer, should a second use need it.
    if (file.content === undefined && file.staged === undefined) file.reproducibleFrom ??= chainId;
    return chainId;
  }

  /** The file's first unpack, once; a file used by two layers (on different parents) is unpacked again. */
  private takeUnpack(file: ReceivedFile): Promise<UnpackedLayer> {
    const first = this.used.has(file) ? undefined : this.firstUnpack.get(file);
    this.used.add(file);
    return first ?? this.unpack(file);
  }

  private unpack(file: ReceivedFile): Promise<UnpackedLayer> {
    const unpacking = this.limit(async () => {
      const unpacked = await this.context.layers.unpack(this.open(file));
      this.onProgress?.({ diffId: unpacked.diffId, size: unpacked.tarSize });
      return unpacked;
    });
    unpacking.catch(() => undefined); // awaited when the layer is installed, or settled at clean-up
    this.unpacks.push(unpacking);
    return unpacking;
  }

  private open(file: ReceivedFile): Readable {
    if (file.content !== undefined) return Readable.from([file.content], { objectMode: false });
    if (file.staged !== undefined) return createReadStream(file.staged.path);
    if (file.reproducibleFrom !== undefined) return this.context.layers.openTar(file.reproducibleFrom);
    // Unpacked as it arrived, and that unpack not installed: only a layer removed meanwhile gets here.
    throw internal(`the content of ${file.path} was unpacked as it arrived and is no longer at hand`);
  }

  /** Keeps compressed layer files as blobs of their layers, so save and push send them as they came. */
  private async keepCompressedBlobs(uses: Array<{ chainId: Digest; file: ReceivedFile; mediaType: string | undefined }>): Promise<void> {
    const kept = new Set<ReceivedFile>();
    for (const { chainId, file, mediaType } of uses) {
      if (!kept.has(file)) {
        if (file.staged !== undefined) await file.staged.commit();
        else if (file.content !== undefined) await this.context.blobs.put(file.content, { digest: file.digest });
        else if (!(await this.context.blobs.has(file.digest))) continue;
        kept.add(file);
      }
      await this.context.layers.addCompressed(chainId, {
        digest: file.digest,
        size: file.size,
        mediaType: mediaType ?? ociLayerMediaType(file.compression),
        sources: [],
      });
    }
  }

  /** Creates the image (once), keeps the manifest it came with, and moves its tags to it. */
  private async storeImage(image: PlannedImage): Promise<LoadedImage> {
    const { images, blobs } = this.context;
    const stored = await images.create(image.config);
    if (image.manifest !== undefined && stored.record.manifest?.digest !== image.manifest.digest) {
      await blobs.put(image.manifest.bytes, { digest: image.manifest.digest });
      const previous = stored.record.manifest?.digest;
      await images.updateRecord({ ...stored.record, manifest: { digest: image.manifest.digest, mediaType: image.manifest.mediaType } });
      if (previous !== undefined) await blobs.delete(previous);
    }
    const moved: LoadedImage['moved'] = [];
    for (const reference of image.references) {
      const previous = await images.lookupReference(reference);
      await images.addReference(reference, stored.id);
      if (previous !== undefined && previous !== stored.id) moved.push({ reference, previous });
    }
    return { id: stored.id, references: image.references, moved };
  }
}

/** Says which member of the archive a malformed layer was. */
function layerError(layer: PlannedLayer, error: unknown): unknown {
  if (isBerthError(error) && error.kind === 'invalid-argument') return invalidArgument(`invalid archive: the layer ${layer.path}: ${error.message}`, error);
  return error;
}

/** Whether a file's first bytes are those of a layer: a tar header (or an empty tar's zeros), gzip or zstd. */
function looksLikeLayer(head: Buffer, compression: Compression): boolean {
  if (compression === 'gzip' || compression === 'zstd') return true;
  if (compression !== 'none' || head.length < BLOCK_SIZE) return false;
  const block = head.subarray(0, BLOCK_SIZE);
  if (isZeroBlock(block)) return true;
  try {
    return checksumMatches(block);
  } catch {
    // Not even a number where the checksum goes: JSON or some other file.
    return false;
  }
}
