import { invalidArgument } from '../../common/errors.js';
import { type Digest, isDigest } from '../../store/digest.js';
import type { Descriptor } from '../media-types.js';

/**
 * The JSON files of image archives: Docker's `manifest.json` (what `docker save` writes and
 * `docker load` reads since 1.10) and the OCI image layout's `oci-layout`, `index.json`,
 * indexes and manifests. Parsing checks the shapes berth relies on, so a malformed archive
 * fails with a message that names the file instead of a TypeError later.
 */

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX_FILE = 'index.json';
export const DOCKER_MANIFEST_FILE = 'manifest.json';
export const DOCKER_REPOSITORIES_FILE = 'repositories';
/** Docker writes it with a space after the colon; the content is otherwise the spec's. */
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion": "1.0.0"}';

export const Annotation = {
  /** OCI: the name of a reference in a layout; containerd and Docker write the tag alone. */
  refName: 'org.opencontainers.image.ref.name',
  /** containerd (and Docker 25+): the full image name, `docker.io/library/busybox:latest`. */
  imageName: 'io.containerd.image.name',
  /** BuildKit marks attestation manifests in an index with this; they are not images. */
  referenceType: 'vnd.docker.reference.type',
} as const;

export type { Descriptor, Platform } from '../media-types.js';

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** One image in Docker's manifest.json; paths are relative to the archive's root. */
export interface DockerArchiveImage {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  Parent?: string;
  /** Descriptors of the layer files, by diff id (Docker 25+ writes one for every layer). */
  LayerSources?: Record<string, Descriptor>;
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidArgument(`invalid archive: ${what} is not valid JSON: ${(error as Error).message}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function parseDockerArchiveManifest(bytes: Buffer): DockerArchiveImage[] {
  const value = parseJson(bytes, DOCKER_MANIFEST_FILE);
  // Docker's own rule: a null manifest is a bug somewhere, an empty list is allowed.
  if (!Array.isArray(value)) throw invalidArgument(`invalid archive: ${DOCKER_MANIFEST_FILE} is not a list of images`);
  return value.map((item, index) => {
    const where = `${DOCKER_MANIFEST_FILE} item ${index}`;
    if (!isObject(item) || typeof item.Config !== 'string' || !isStringArray(item.Layers)) {
      throw invalidArgument(`invalid archive: ${where} needs a Config path and a list of Layers`);
    }
    if (item.RepoTags !== undefined && item.RepoTags !== null && !isStringArray(item.RepoTags)) {
      throw invalidArgument(`invalid archive: ${where} has RepoTags that are not a list of names`);
    }
    const sources = isObject(item.LayerSources) ? item.LayerSources : undefined;
    return {
      Config: item.Config,
      RepoTags: (item.RepoTags as string[] | null | undefined) ?? null,
      Layers: item.Layers,
      ...(typeof item.Parent === 'string' ? { Parent: item.Parent } : {}),
      ...(sources === undefined
        ? {}
        : { LayerSources: Object.fromEntries(Object.entries(sources).map(([key, descriptor]) => [key, parseDescriptor(descriptor, `${where} LayerSources`)])) }),
    };
  });
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value) || typeof value.mediaType !== 'string' || typeof value.digest !== 'string' || typeof value.size !== 'number') {
    throw invalidArgument(`invalid archive: a descriptor in ${where} lacks its mediaType, digest or size`);
  }
  if (!isDigest(value.digest)) throw invalidArgument(`invalid archive: ${where} names the unsupported digest ${value.digest}`);
  if (!Number.isSafeInteger(value.size) || value.size < 0) throw invalidArgument(`invalid archive: ${where} gives a bad size for ${value.digest}`);
  return value as unknown as Descriptor;
}

export function parseIndex(bytes: Buffer, what: string): ImageIndex {
  const value = parseJson(bytes, what);
  if (!isObject(value) || value.schemaVersion !== 2 || !Array.isArray(value.manifests)) {
    throw invalidArgument(`invalid archive: ${what} is not an image index`);
  }
  return { ...(value as object), manifests: value.manifests.map((item) => parseDescriptor(item, what)) } as ImageIndex;
}

export function parseManifest(bytes: Buffer, what: string): ImageManifest {
  const value = parseJson(bytes, what);
  if (!isObject(value) || value.schemaVersion !== 2 || !Array.isArray(value.layers)) {
    throw invalidArgument(`invalid archive: ${what} is not an image manifest`);
  }
  return {
    ...(value as object),
    config: parseDescriptor(value.config, what),
    layers: value.layers.map((item) => parseDescriptor(item, what)),
  } as ImageManifest;
}

/** Where an OCI layout keeps a blob. */
export function blobPath(digest: Digest): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

/** The digest a path states as its name (`blobs/sha256/<hex>`, Docker's classic `<hex>.json`), if any. */
export function statedDigest(path: string): Digest | undefined {
  const match = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path) ?? /^([a-f0-9]{64})\.json$/.exec(path);
  if (match === null) return undefined;
  const digest = `sha256:${match[1]}`;
  return isDigest(digest) ? digest : undefined;
}

/**
 * A member's path relative to the archive's root: a leading '/' and './' are dropped and '.'
 * and '..' resolved lexically; undefined for the root itself or a path climbing above it.
 */
export function archivePath(name: string): string | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.length === 0 ? undefined : parts.join('/');
}
