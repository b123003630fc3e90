import type { Readable } from 'node:stream';
import { invalidArgument } from '../common/errors.js';
import type { Digest } from '../store/digest.js';
import { applyChanges } from './changes.js';
import { type ExecutionConfig, type ImageConfig, hostArchitecture } from './image-config.js';
import type { ImageStore } from './image-store.js';
import type { LayerStore } from './layer-store.js';
import { type ImageReference, parseNormalizedNamed, validateTag, withDefaultTag } from '../common/image-reference.js';

export interface ImportOptions {
  /** Repository to tag the new image in, possibly with `:tag`. */
  repo?: string;
  tag?: string;
  /** Dockerfile instructions applied to the config (`--change`). */
  changes?: readonly string[];
  /** Commit message; Docker's API defaults it to `Imported from <source>`. */
  message?: string;
}

/** Docker's RepoTagReference: the reference an import or tag request names, `:latest` by default. */
export function repoTagReference(repo: string, tag?: string): ImageReference | undefined {
  if (repo === '') return undefined;
  const named = parseNormalizedNamed(repo);
  if (named.digest !== undefined) throw invalidArgument('cannot import digest reference');
  if (tag !== undefined && tag !== '') return { domain: named.domain, path: named.path, tag: validateTag(tag) };
  return withDefaultTag(named);
}

/** The config of an imported image, as Docker writes it: one layer, one history entry. */
export function importedImageConfig(options: {
  diffId: Digest;
  config: ExecutionConfig;
  message: string;
  created: Date;
  architecture?: string;
}): ImageConfig {
  const created = options.created.toISOString();
  return {
    architecture: options.architecture ?? hostArchitecture(),
    os: 'linux',
    created,
    ...(options.message === '' ? {} : { comment: options.message }),
    config: options.config,
    rootfs: { type: 'layers', diff_ids: [options.diffId] },
    history: [{ created, ...(options.message === '' ? {} : { comment: options.message }) }],
  };
}

export interface ImportContext {
  layers: LayerStore;
  images: ImageStore;
  /** Runs a state change serialized with layer collection and other image changes. */
  serialize: <T>(work: () => Promise<T>) => Promise<T>;
  /** Removes those of these layers that no image or container uses. */
  collectLayers: (chainIds: readonly Digest[]) => Promise<Digest[]>;
}

/**
 * `docker import`: unpacks a root filesystem tar (plain, gzip or zstd) as one
 * layer and makes an image of it. The changes are checked before any unpacking,
 * and a failure leaves no layer, image or temporary behind.
 */
export async function importRootfs(context: ImportContext, source: Readable, options: ImportOptions = {}): Promise<Digest> {
  let config: ExecutionConfig;
  let reference: ImageReference | undefined;
  try {
    config = applyChanges(options.changes ?? []);
    reference = repoTagReference(options.repo ?? '', options.tag);
  } catch (error) {
    source.destroy();
    throw error;
  }
  const pin = context.layers.pin();
  let registered: Digest | undefined;
  try {
    const layer = await context.layers.register(source, null, pin);
    registered = layer.chainId;
    const imageConfig = importedImageConfig({
      diffId: layer.diffId,
      config,
      message: options.message ?? 'Imported from -',
      created: new Date(),
    });
    return await context.serialize(async () => {
      const image = await context.images.create(JSON.stringify(imageConfig));
      if (reference !== undefined) await context.images.addReference(reference, image.id);
      return image.id;
    });
  } catch (error) {
    pin.release();
    if (registered !== undefined) await context.collectLayers([registered]);
    throw error;
  } finally {
    pin.release();
  }
}
