import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { invalidArgument, notImplemented } from '../../common/errors.js';
import type { BlobStore } from '../../store/blob-store.js';
import { type Digest, digestHex, sha256Digest } from '../../store/digest.js';
import type { TarEntryInput } from '../../tar/writer.js';
import { writeTar } from '../../tar/writer.js';
import type { ImageStore, StoredImage } from '../image-store.js';
import type { LayerPin, LayerStore } from '../layer-store.js';
import { MediaType, asOciLayerMediaType } from '../media-types.js';
import { familiarName, familiarString, referenceString } from '../../common/image-reference.js';
import {
  Annotation,
  DOCKER_MANIFEST_FILE,
  DOCKER_REPOSITORIES_FILE,
  type Descriptor,
  type DockerArchiveImage,
  type ImageIndex,
  type ImageManifest,
  OCI_INDEX_FILE,
  OCI_LAYOUT_CONTENT,
  OCI_LAYOUT_FILE,
  blobPath,
  parseManifest,
} from './layout.js';
import type { SelectedImage } from './save-selection.js';

/**
 * `docker`: what `docker save` of Docker 25+ writes, an OCI image layout that also carries
 * Docker's manifest.json and repositories, so every docker since 1.10 and podman load it.
 * `oci`: the OCI image layout alone, as containerd exports it.
 */
export type ArchiveFormat = 'docker' | 'oci';

export interface SaveContext {
  layers: LayerStore;
  blobs: BlobStore;
  images: ImageStore;
}

/** One blob of the archive; layer content is opened only when its turn comes. */
interface ArchiveBlob {
  digest: Digest;
  size: number;
  mtime: number;
  content: Buffer | (() => Readable);
}

interface SavedManifest {
  bytes: Buffer;
  digest: Digest;
  mediaType: string;
  layers: Descriptor[];
}

interface SavedImage {
  image: StoredImage;
  selected: SelectedImage;
  manifest: SavedManifest;
}

/** The forms in which berth can write one layer. */
interface LayerForms {
  chainId: Digest;
  diffId: Digest;
  /** Compressed blobs of the layer still in the blob store, in the order they were recorded. */
  compressed: Array<{ digest: Digest; size: number; mediaType: string }>;
  /** Whether its exact uncompressed tar can be reassembled. */
  reassemblable: boolean;
}

/**
 * Streams the selected images as one archive, written by berth's tar writer. Everything that
 * could fail for a reason known in advance (a missing blob, a layer that cannot be reassembled)
 * fails here, before a byte is sent; `pin` holds the layers and is released when the stream
 * closes.
 *
 * A layer goes in as the compressed blob it arrived as when the blob store still has it (docker
 * and podman load compressed layers), else as its exact uncompressed tar from its tar-split. An
 * image keeps the manifest it came with when all that manifest's layers are at hand, so its
 * digest survives a save and load; otherwise it gets a generated OCI manifest.
 */
export async function saveArchive(context: SaveContext, selection: SelectedImage[], format: ArchiveFormat, pin: LayerPin): Promise<Readable> {
  const saved: SavedImage[] = [];
  const blobs = new Map<Digest, ArchiveBlob>();
  for (const selected of selection) {
    const image = await context.images.get(selected.id);
    if (image === undefined) throw invalidArgument(`image ${selected.id} was removed while it was being saved`);
    const config = await context.blobs.get(image.id);
    const mtime = createdSeconds(image);
    const forms = await Promise.all(image.chainIds.map((chainId) => layerForms(context, chainId)));
    const manifest = (await recordedManifest(context, image, forms)) ?? (await generatedManifest(context, image, config, forms));
    for (const [index, layer] of manifest.layers.entries()) {
      if (!blobs.has(layer.digest)) blobs.set(layer.digest, await layerBlob(context, forms[index]!, layer.digest, mtime));
    }
    if (!blobs.has(image.id)) blobs.set(image.id, { digest: image.id, size: config.length, mtime, content: config });
    blobs.set(manifest.digest, { digest: manifest.digest, size: manifest.bytes.length, mtime: 0, content: manifest.bytes });
    saved.push({ image, selected, manifest });
  }
  const metadata: [string, Buffer][] = [
    [OCI_INDEX_FILE, Buffer.from(JSON.stringify(ociIndex(saved)))],
    ...(format === 'docker' ? dockerFiles(saved) : []),
    [OCI_LAYOUT_FILE, Buffer.from(OCI_LAYOUT_CONTENT)],
  ];
  const stream = Readable.from(writeTar(archiveEntries([...blobs.values()], metadata)), { objectMode: false });
  stream.once('close', () => pin.release());
  return stream;
}

async function layerForms(context: SaveContext, chainId: Digest): Promise<LayerForms> {
  const layer = await context.layers.require(chainId);
  const compressed: LayerForms['compressed'] = [];
  for (const form of layer.compressed ?? []) {
    if (await context.blobs.has(form.digest)) compressed.push({ digest: form.digest, size: await context.blobs.size(form.digest), mediaType: form.mediaType });
  }
  return { chainId, diffId: layer.diffId, compressed, reassemblable: await context.layers.canReassemble(chainId) };
}

/** The blob of one of a layer's forms, named by its digest. */
async function layerBlob(context: SaveContext, forms: LayerForms, digest: Digest, mtime: number): Promise<ArchiveBlob> {
  if (digest === forms.diffId) {
    return { digest, size: await context.layers.tarSize(forms.chainId), mtime, content: () => context.layers.openTar(forms.chainId) };
  }
  const form = forms.compressed.find((candidate) => candidate.digest === digest)!;
  return { digest, size: form.size, mtime, content: () => createReadStream(context.blobs.path(digest)) };
}

function hasForm(forms: LayerForms, digest: Digest): boolean {
  return digest === forms.diffId ? forms.reassemblable : forms.compressed.some((form) => form.digest === digest);
}

/** The manifest the image came with, when every layer it lists is in a form berth can write. */
async function recordedManifest(context: SaveContext, image: StoredImage, forms: LayerForms[]): Promise<SavedManifest | undefined> {
  const recorded = image.record.manifest;
  if (recorded === undefined || !(await context.blobs.has(recorded.digest))) return undefined;
  const bytes = await context.blobs.get(recorded.digest);
  let manifest: ImageManifest;
  try {
    manifest = parseManifest(bytes, `manifest ${recorded.digest}`);
  } catch {
    return undefined;
  }
  if (manifest.config.digest !== image.id || manifest.layers.length !== forms.length) return undefined;
  if (!manifest.layers.every((layer, index) => hasForm(forms[index]!, layer.digest))) return undefined;
  return { bytes, digest: recorded.digest, mediaType: manifest.mediaType ?? recorded.mediaType, layers: manifest.layers };
}

/** An OCI manifest naming, for each layer, its first compressed blob at hand, else its uncompressed tar. */
async function generatedManifest(context: SaveContext, image: StoredImage, config: Buffer, forms: LayerForms[]): Promise<SavedManifest> {
  const layers: Descriptor[] = [];
  for (const layer of forms) {
    const compressed = layer.compressed[0];
    if (compressed !== undefined) {
      layers.push({ mediaType: asOciLayerMediaType(compressed.mediaType), digest: compressed.digest, size: compressed.size });
    } else if (layer.reassemblable) {
      layers.push({ mediaType: MediaType.ociLayer, digest: layer.diffId, size: await context.layers.tarSize(layer.chainId) });
    } else {
      throw notImplemented(
        `layer ${layer.chainId} of image ${image.id} was unpacked by an older berth, which kept no tar-split, and no compressed copy of it is left: remove the image and pull, load or import it again`,
      );
    }
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: image.id, size: config.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { bytes, digest: sha256Digest(bytes), mediaType: MediaType.ociManifest, layers };
}

/** index.json: one entry per tag, named as containerd and Docker name them; untagged images once, unnamed. */
function ociIndex(saved: SavedImage[]): ImageIndex {
  const manifests: Descriptor[] = [];
  for (const { selected, manifest } of saved) {
    const descriptor: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
    if (selected.tags.length === 0) manifests.push(descriptor);
    for (const tag of selected.tags) {
      manifests.push({ ...descriptor, annotations: { [Annotation.imageName]: referenceString(tag), [Annotation.refName]: tag.tag! } });
    }
  }
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
}

/** manifest.json and repositories, as `docker save` writes them beside the OCI layout. */
function dockerFiles(saved: SavedImage[]): [string, Buffer][] {
  const savedIds = new Set(saved.map(({ image }) => image.id));
  const items: DockerArchiveImage[] = saved.map(({ image, selected, manifest }) => {
    const parent = image.record.parent;
    return {
      Config: blobPath(image.id),
      RepoTags: selected.tags.length === 0 ? null : selected.tags.map((tag) => familiarString(tag)),
      Layers: manifest.layers.map((layer) => blobPath(layer.digest)),
      ...(parent !== undefined && savedIds.has(parent) ? { Parent: parent } : {}),
      LayerSources: Object.fromEntries(image.config.rootfs.diff_ids.map((diffId, index) => [diffId, manifest.layers[index]!])),
    };
  });
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, selected } of saved) {
    const top = image.config.rootfs.diff_ids.at(-1);
    if (top === undefined) continue;
    for (const tag of selected.tags) (repositories[familiarName(tag)] ??= {})[tag.tag!] = digestHex(top);
  }
  return [
    [DOCKER_MANIFEST_FILE, Buffer.from(`${JSON.stringify(items)}\n`)],
    ...(Object.keys(repositories).length === 0 ? [] : [[DOCKER_REPOSITORIES_FILE, Buffer.from(`${JSON.stringify(repositories)}\n`)] as [string, Buffer]]),
  ];
}

/** Blobs in digest order under blobs/sha256/, then the metadata files: the order `docker save` writes. */
async function* archiveEntries(blobs: ArchiveBlob[], metadata: [string, Buffer][]): AsyncGenerator<TarEntryInput> {
  yield { header: { path: 'blobs/', type: 'directory', mode: 0o755 } };
  yield { header: { path: 'blobs/sha256/', type: 'directory', mode: 0o755 } };
  for (const blob of [...blobs].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0))) {
    const body = Buffer.isBuffer(blob.content) ? blob.content : blob.content();
    yield { header: { path: blobPath(blob.digest), type: 'file', mode: 0o644, size: blob.size, mtime: blob.mtime }, body };
  }
  for (const [path, content] of metadata.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    yield { header: { path, type: 'file', mode: 0o644, size: content.length }, body: content };
  }
}

function createdSeconds(image: StoredImage): number {
  const created = image.config.created === undefined ? NaN : Date.parse(image.config.created);
  return Number.isNaN(created) ? 0 : Math.floor(created / 1000);
}
