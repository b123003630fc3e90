import { invalidArgument } from '../../common/errors.js';
import { isDigest } from '../../store/digest.js';
import { type Descriptor, MediaType } from '../media-types.js';

/** What a pull asks for, most wanted first (Docker's Accept list, OCI included). */
export const manifestAcceptTypes = [
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.ociIndex,
];

const layerMediaTypes: ReadonlySet<string> = new Set([
  MediaType.dockerLayerGzip,
  MediaType.dockerForeignLayerGzip,
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.ociLayerNondistributableGzip,
  MediaType.dockerLayer,
]);

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
  if (Array.isArray(body.manifests) || mediaType === MediaType.dockerManifestList || mediaType === MediaType.ociIndex) {
    const manifests = (Array.isArray(body.manifests) ? body.manifests : []).map((entry, index) => descriptorOf(entry, `entry ${index}`));
    return { kind: 'index', mediaType: mediaType || MediaType.ociIndex, manifests };
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
  return { kind: 'manifest', mediaType: mediaType || MediaType.ociManifest, config, layers };
}
