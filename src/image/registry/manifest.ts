import { invalidArgument } from '../../common/errors.js';
import { type Digest, isDigest } from '../../store/digest.js';

/** Media types of the manifests and blobs berth reads and writes (Docker schema2 and OCI). */
export const mediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

/** What a pull asks for, most wanted first (Docker's Accept list, OCI included). */
export const manifestAcceptTypes = [
  mediaTypes.dockerManifest,
  mediaTypes.dockerManifestList,
  mediaTypes.ociManifest,
  mediaTypes.ociIndex,
];

const layerMediaTypes: ReadonlySet<string> = new Set([
  mediaTypes.dockerLayerGzip,
  mediaTypes.dockerForeignLayerGzip,
  mediaTypes.ociLayer,
  mediaTypes.ociLayerGzip,
  mediaTypes.ociLayerZstd,
  mediaTypes.ociLayerNondistributableGzip,
  'application/vnd.docker.image.rootfs.diff.tar',
]);

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ManifestIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export type ParsedManifest = ImageManifest | ManifestIndex;

function descriptorOf(value: unknown, what: string): Descriptor {
  const candidate = value as Partial<Descriptor> | null;
  if (typeof candidate !== 'object' || candidate === null) throw invalidArgument(`manifest ${what} is not an object`);
  if (typeof candidate.digest !== 'string' || !isDigest(candidate.digest)) {
    throw invalidArgument(`manifest ${what} has an unsupported or invalid digest: ${String(candidate.digest)}`);
  }
  if (typeof candidate.size !== 'number' || !Number.isSafeInteger(candidate.size) || candidate.size < 0) {
    throw invalidArgument(`manifest ${what} has an invalid size`);
  }
  return { ...candidate, mediaType: candidate.mediaType ?? '' } as Descriptor;
}

/**
 * Parses a manifest or index from its bytes. The media type comes from the body when it
 * names one, else from the Content-Type the registry sent (OCI allows either).
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw invalidArgument('manifest is not valid JSON', error);
  }
  if (typeof body !== 'object' || body === null) throw invalidArgument('manifest is not a JSON object');
  const mediaType = typeof body.mediaType === 'string' ? body.mediaType : (contentType ?? '').split(';')[0]!.trim();
  if (body.schemaVersion === 1) {
    throw invalidArgument('schema 1 manifests are no longer supported: the image must be pushed again with a current client');
  }
  if (Array.isArray(body.manifests) || mediaType === mediaTypes.dockerManifestList || mediaType === mediaTypes.ociIndex) {
    const manifests = (Array.isArray(body.manifests) ? body.manifests : []).map((entry, index) => descriptorOf(entry, `entry ${index}`));
    return { kind: 'index', mediaType: mediaType || mediaTypes.ociIndex, manifests };
  }
  if (body.config === undefined || !Array.isArray(body.layers)) {
    throw invalidArgument(`unsupported manifest media type ${mediaType === '' ? '(none)' : mediaType}`);
  }
  const config = descriptorOf(body.config, 'config');
  const layers = body.layers.map((entry, index) => descriptorOf(entry, `layer ${index}`));
  for (const layer of layers) {
    if (layer.mediaType !== '' && !layerMediaTypes.has(layer.mediaType)) {
      throw invalidArgument(`unsupported layer media type ${layer.mediaType}`);
    }
  }
  return { kind: 'manifest', mediaType: mediaType || mediaTypes.ociManifest, config, layers };
}

/** The manifest a registry should receive for an image, in Docker's schema2 form. */
export function schema2Manifest(config: { digest: Digest; size: number }, layers: readonly Descriptor[]): Buffer {
  const body = {
    schemaVersion: 2,
    mediaType: mediaTypes.dockerManifest,
    config: { mediaType: mediaTypes.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((layer) => ({ mediaType: layer.mediaType, size: layer.size, digest: layer.digest })),
  };
  return Buffer.from(JSON.stringify(body, null, 3));
}
