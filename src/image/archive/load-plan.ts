import { invalidArgument } from '../../common/errors.js';
import { type Digest, sha256Digest } from '../../store/digest.js';
import type { ImageConfig } from '../image-config.js';
import { parseImageConfig } from '../image-store.js';
import { isIndexMediaType, isManifestMediaType } from '../media-types.js';
import { type ImageReference, parseNormalizedNamed, referenceString, withDefaultTag } from '../../common/image-reference.js';
import {
  Annotation,
  DOCKER_MANIFEST_FILE,
  type Descriptor,
  OCI_INDEX_FILE,
  type Platform,
  archivePath,
  blobPath,
  parseDockerArchiveManifest,
  parseIndex,
  parseManifest,
  statedDigest,
} from './layout.js';

/** What the planner reads: the archive's small files (configs, manifests, indexes) by path. */
export interface ArchiveContents {
  /** The content of the file at `path`, following links inside the archive; undefined when absent. */
  read(path: string): Promise<Buffer | undefined>;
}

export interface PlannedLayer {
  /** The layer file's path in the archive. */
  path: string;
  diffId: Digest;
  /** The file's digest and size as the archive states them (a blob's name, a descriptor), to check. */
  digest?: Digest;
  size?: number;
  /** The layer's media type, when the archive says it (OCI manifests, Docker's LayerSources). */
  mediaType?: string;
}

export interface PlannedImage {
  /** The config's digest: the image id. */
  id: Digest;
  config: Buffer;
  layers: PlannedLayer[];
  /** Tags to point at the image, fully qualified. */
  references: ImageReference[];
  /** The OCI or Docker manifest the image came with, when the archive is an OCI layout. */
  manifest?: { bytes: Buffer; digest: Digest; mediaType: string };
}

/**
 * Works out what an archive holds: Docker's manifest.json when present (what `docker load`
 * reads, and the only index of pre-25 archives), else the OCI layout's index.json. Every
 * digest the archive states for a config, manifest or index is checked here; layer files are
 * checked by the caller, which hashes them as they arrive.
 */
export async function planLoad(contents: ArchiveContents, platform: Platform): Promise<PlannedImage[]> {
  const dockerManifest = await contents.read(DOCKER_MANIFEST_FILE);
  if (dockerManifest !== undefined) return planDockerArchive(contents, dockerManifest, platform);
  const index = await contents.read(OCI_INDEX_FILE);
  if (index !== undefined) return planOciLayout(contents, index, platform);
  throw invalidArgument(`invalid archive: it holds neither a ${DOCKER_MANIFEST_FILE} (docker save) nor an ${OCI_INDEX_FILE} (OCI image layout)`);
}

async function planDockerArchive(contents: ArchiveContents, manifestBytes: Buffer, platform: Platform): Promise<PlannedImage[]> {
  const planned: PlannedImage[] = [];
  for (const item of parseDockerArchiveManifest(manifestBytes)) {
    const configPath = memberPath(item.Config);
    const config = await contents.read(configPath);
    if (config === undefined) throw invalidArgument(`invalid archive: the config ${item.Config} is missing`);
    const id = sha256Digest(config);
    const stated = statedDigest(configPath);
    if (stated !== undefined && stated !== id) throw invalidArgument(`invalid archive: the config ${item.Config} has digest ${id}`);
    const parsed = checkedConfig(config, item.Config, platform);
    if (item.Layers.length !== parsed.rootfs.diff_ids.length) {
      throw invalidArgument(`invalid manifest, layers length mismatch: expected ${item.Layers.length}, got ${parsed.rootfs.diff_ids.length}`);
    }
    const layers = item.Layers.map((layer, index): PlannedLayer => {
      const path = memberPath(layer);
      const diffId = parsed.rootfs.diff_ids[index]!;
      const digest = statedDigest(path);
      // A source describing another blob (a foreign layer's registry copy) says nothing about this file.
      const source = item.LayerSources?.[diffId];
      const described = source !== undefined && digest !== undefined && source.digest === digest ? source : undefined;
      return {
        path,
        diffId,
        ...(digest === undefined ? {} : { digest }),
        ...(described === undefined ? {} : { size: described.size, mediaType: described.mediaType }),
      };
    });
    const references = (item.RepoTags ?? []).map((tag) => {
      const reference = parseNormalizedNamed(tag);
      if (reference.tag === undefined || reference.digest !== undefined) throw invalidArgument(`invalid tag "${tag}"`);
      return reference;
    });
    merge(planned, { id, config, layers, references });
  }
  return planned;
}

async function planOciLayout(contents: ArchiveContents, indexBytes: Buffer, platform: Platform): Promise<PlannedImage[]> {
  const planned: PlannedImage[] = [];
  const index = parseIndex(indexBytes, OCI_INDEX_FILE);
  for (const descriptor of index.manifests) {
    const reference = referenceOf(descriptor.annotations);
    for (const manifestDescriptor of await imageManifests(contents, descriptor, platform, 0)) {
      const bytes = await readBlob(contents, manifestDescriptor, 'manifest');
      const manifest = parseManifest(bytes, `manifest ${manifestDescriptor.digest}`);
      const config = await readBlob(contents, manifest.config, 'config');
      const parsed = checkedConfig(config, `config ${manifest.config.digest}`, platform);
      if (manifest.layers.length !== parsed.rootfs.diff_ids.length) {
        throw invalidArgument(
          `invalid archive: manifest ${manifestDescriptor.digest} lists ${manifest.layers.length} layers, its config ${parsed.rootfs.diff_ids.length}`,
        );
      }
      merge(planned, {
        id: manifest.config.digest,
        config,
        layers: manifest.layers.map((layer, index) => ({
          path: blobPath(layer.digest),
          diffId: parsed.rootfs.diff_ids[index]!,
          digest: layer.digest,
          size: layer.size,
          mediaType: layer.mediaType,
        })),
        references: reference === undefined ? [] : [reference],
        manifest: { bytes, digest: manifestDescriptor.digest, mediaType: manifest.mediaType ?? manifestDescriptor.mediaType },
      });
    }
  }
  if (planned.length === 0 && index.manifests.length > 0) {
    throw invalidArgument(`invalid archive: ${OCI_INDEX_FILE} lists no image for ${platform.os}/${platform.architecture}`);
  }
  return planned;
}

/** An index entry's image manifests: itself, or the one for this platform of the index it names. */
async function imageManifests(contents: ArchiveContents, descriptor: Descriptor, platform: Platform, depth: number): Promise<Descriptor[]> {
  if (descriptor.platform !== undefined && !matches(descriptor.platform, platform)) return [];
  if (isManifestMediaType(descriptor.mediaType)) return [descriptor];
  // Artifacts (signatures, SBOMs) may sit in a layout beside images; they are not images.
  if (!isIndexMediaType(descriptor.mediaType)) return [];
  if (depth >= 4) throw invalidArgument(`invalid archive: indexes nested too deep at ${descriptor.digest}`);
  const index = parseIndex(await readBlob(contents, descriptor, 'index'), `index ${descriptor.digest}`);
  for (const candidate of index.manifests) {
    if (candidate.annotations?.[Annotation.referenceType] === 'attestation-manifest') continue;
    if (isManifestMediaType(candidate.mediaType) && candidate.platform === undefined) return [candidate];
    const found = await imageManifests(contents, candidate, platform, depth + 1);
    if (found.length > 0) return found.slice(0, 1);
  }
  throw invalidArgument(`invalid archive: index ${descriptor.digest} has no image for ${platform.os}/${platform.architecture}`);
}

function matches(candidate: Platform, platform: Platform): boolean {
  return candidate.os === platform.os && candidate.architecture === platform.architecture;
}

/**
 * The tag an index entry names: containerd's full image name, else an OCI ref name that is a
 * whole reference (`busybox:latest`, `localhost:5000/x:1`). A bare ref name (`latest`, as
 * Docker and containerd write beside the full name) names no repository to tag in.
 */
export function referenceOf(annotations: Record<string, string> | undefined): ImageReference | undefined {
  for (const candidate of [annotations?.[Annotation.imageName], annotations?.[Annotation.refName]]) {
    if (candidate === undefined || !/[:/]/.test(candidate)) continue;
    try {
      const reference = withDefaultTag(parseNormalizedNamed(candidate));
      // Tags only, as docker save and load do: a digest reference is not a name to give an image.
      if (reference.digest === undefined) return reference;
    } catch {
      // not a reference: try the next annotation
    }
  }
  return undefined;
}

async function readBlob(contents: ArchiveContents, descriptor: Descriptor, what: string): Promise<Buffer> {
  const bytes = await contents.read(blobPath(descriptor.digest));
  if (bytes === undefined) throw invalidArgument(`invalid archive: the ${what} blob ${descriptor.digest} is missing`);
  const digest = sha256Digest(bytes);
  if (digest !== descriptor.digest) throw invalidArgument(`invalid archive: the ${what} blob ${descriptor.digest} has digest ${digest}`);
  if (bytes.length !== descriptor.size) {
    throw invalidArgument(`invalid archive: the ${what} blob ${descriptor.digest} has ${bytes.length} bytes, not ${descriptor.size}`);
  }
  return bytes;
}

function checkedConfig(bytes: Buffer, what: string, platform: Platform): ImageConfig {
  let config: ImageConfig;
  try {
    config = parseImageConfig(bytes);
  } catch (error) {
    throw invalidArgument(`invalid archive: ${what}: ${(error as Error).message}`);
  }
  if ((config.os ?? platform.os) !== platform.os) throw invalidArgument(`cannot load ${config.os} image on ${platform.os}`);
  return config;
}

function memberPath(path: string): string {
  const normalized = archivePath(path);
  if (normalized === undefined) throw invalidArgument(`invalid archive: "${path}" is not a path inside the archive`);
  return normalized;
}

/** Adds an image, or its references to the same image found under another entry. */
function merge(planned: PlannedImage[], image: PlannedImage): void {
  const existing = planned.find((candidate) => candidate.id === image.id);
  if (existing === undefined) {
    planned.push({ ...image, references: dedupe(image.references) });
    return;
  }
  existing.references = dedupe([...existing.references, ...image.references]);
}

function dedupe(references: ImageReference[]): ImageReference[] {
  const seen = new Map<string, ImageReference>();
  for (const reference of references) seen.set(referenceString(reference), reference);
  return [...seen.values()];
}
