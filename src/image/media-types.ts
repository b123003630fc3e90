import type { Digest } from '../store/digest.js';
import type { Compression } from '../tar/decompress.js';

/** The media types of images as OCI and Docker (schema 2) name them. */
export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

/** An OCI content descriptor: what a manifest or index says about a blob it names. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

/** The OCI layer media type for content of this compression. */
export function ociLayerMediaType(compression: Compression): string {
  if (compression === 'gzip') return MediaType.ociLayerGzip;
  if (compression === 'zstd') return MediaType.ociLayerZstd;
  return MediaType.ociLayer;
}

/**
 * A layer media type in its OCI form, for manifests berth writes: Docker's gzip layer becomes
 * OCI's, and the non-distributable variants keep their meaning.
 */
export function asOciLayerMediaType(mediaType: string): string {
  if (mediaType === MediaType.dockerLayerGzip) return MediaType.ociLayerGzip;
  if (mediaType === MediaType.dockerForeignLayerGzip) return MediaType.ociLayerNondistributableGzip;
  return mediaType;
}
