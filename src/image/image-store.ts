import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file.js';
import { errnoCode, invalidArgument, notFound } from '../common/errors.js';
import type { BlobStore } from '../store/blob-store.js';
import { type Digest, digestHex, isDigest, sha256Digest } from '../store/digest.js';
import { chainIds } from './chain-id.js';
import type { ImageConfig } from './image-config.js';
import type { LayerStore } from './layer-store.js';
import {
  type ImageReference,
  familiarString,
  isNamedReference,
  parseAnyReference,
  parseReference,
  referenceString,
  withDefaultTag,
} from '../common/image-reference.js';

/** What berth keeps about an image beside its config blob. */
export interface ImageRecord {
  id: Digest;
  /** The image this one was built from (classic builder only). */
  parent?: Digest;
  /** When the image last received a tag (Docker's Metadata.LastTagTime). */
  lastTagTime?: string;
  /**
   * The manifest this image was last pulled or pushed with, kept in the blob store so a
   * later push sends the same bytes and the image keeps its digest across registries.
   */
  manifest?: { digest: Digest; mediaType: string };
}

export interface StoredImage {
  id: Digest;
  record: ImageRecord;
  config: ImageConfig;
  /** Chain ids of the image's layers, base first. */
  chainIds: Digest[];
}

interface RepositoriesFile {
  /** Fully qualified reference (`docker.io/library/busybox:latest`, `...@sha256:...`) → image id. */
  references: Record<string, Digest>;
}

/**
 * Image records (`images/<id-hex>.json`), their config blobs (the image id is the
 * config's digest, as in Docker) and the reference map (`repositories.json`).
 * Mutations are not serialized here: ImageService runs them one at a time.
 */
export class ImageStore {
  private readonly recordsDir: string;
  private readonly repositoriesPath: string;

  constructor(
    root: string,
    private readonly blobs: BlobStore,
    private readonly layers: LayerStore,
  ) {
    this.recordsDir = join(root, 'images');
    this.repositoriesPath = join(root, 'repositories.json');
  }

  private recordPath(id: Digest): string {
    return join(this.recordsDir, `${digestHex(id)}.json`);
  }

  /**
   * Stores an image from its config JSON; every layer the config names must be
   * in the layer store already. Creating an image that exists returns it unchanged.
   */
  async create(configJson: string | Uint8Array, options: { parent?: Digest } = {}): Promise<StoredImage> {
    const bytes = typeof configJson === 'string' ? Buffer.from(configJson) : configJson;
    const id = sha256Digest(bytes);
    const config = parseImageConfig(bytes);
    for (const chainId of chainIds(config.rootfs.diff_ids)) {
      if (!(await this.layers.has(chainId))) throw invalidArgument(`image ${id} needs layer ${chainId}, which is not in the layer store`);
    }
    const existing = await this.get(id);
    if (existing !== undefined) return existing;
    await this.blobs.put(bytes, { digest: id });
    const record: ImageRecord = { id, ...(options.parent === undefined ? {} : { parent: options.parent }) };
    await writeJsonAtomic(this.recordPath(id), record);
    return { id, record, config, chainIds: chainIds(config.rootfs.diff_ids) };
  }

  async get(id: Digest): Promise<StoredImage | undefined> {
    const record = await readJsonIfExists<ImageRecord>(this.recordPath(id));
    if (record === undefined) return undefined;
    const config = parseImageConfig(await this.blobs.get(id));
    return { id, record, config, chainIds: chainIds(config.rootfs.diff_ids) };
  }

  async ids(): Promise<Digest[]> {
    let names: string[];
    try {
      names = await readdir(this.recordsDir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    return names.filter((name) => /^[a-f0-9]{64}\.json$/.test(name)).map((name) => `sha256:${name.slice(0, 64)}` as Digest);
  }

  async list(): Promise<StoredImage[]> {
    const images: StoredImage[] = [];
    for (const id of await this.ids()) {
      const image = await this.get(id);
      if (image !== undefined) images.push(image);
    }
    return images;
  }

  /** Removes the record, config and manifest blobs; references and layers are the caller's business. */
  async delete(id: Digest): Promise<void> {
    const record = await readJsonIfExists<ImageRecord>(this.recordPath(id));
    await rm(this.recordPath(id), { force: true });
    await this.blobs.delete(id);
    if (record?.manifest !== undefined) await this.blobs.delete(record.manifest.digest);
  }

  async updateRecord(record: ImageRecord): Promise<void> {
    await writeJsonAtomic(this.recordPath(record.id), record);
  }

  private async readReferences(): Promise<Record<string, Digest>> {
    return (await readJsonIfExists<RepositoriesFile>(this.repositoriesPath))?.references ?? {};
  }

  /** Every reference with the image it points to. */
  async allReferences(): Promise<Array<{ reference: ImageReference; id: Digest }>> {
    return Object.entries(await this.readReferences()).map(([text, id]) => ({ reference: parseReference(text), id }));
  }

  /** References to one image, in a stable order (sorted by their full form). */
  async referencesTo(id: Digest): Promise<ImageReference[]> {
    return Object.entries(await this.readReferences())
      .filter(([, target]) => target === id)
      .map(([text]) => text)
      .sort()
      .map((text) => parseReference(text));
  }

  async lookupReference(reference: ImageReference): Promise<Digest | undefined> {
    return (await this.readReferences())[referenceString(storedForm(reference))];
  }

  /**
   * Points a tag (`name:tag`) or digest reference (`name@sha256:...`) at an image,
   * moving it from any image that had it. Docker's rules: a tag may not carry a
   * digest, and `sha256` may not be used as a repository name.
   */
  async addReference(reference: ImageReference, id: Digest): Promise<void> {
    if (reference.tag !== undefined && reference.digest !== undefined) {
      throw invalidArgument('refusing to create a tag with a digest reference');
    }
    if (reference.path === 'sha256' || reference.path === 'library/sha256') {
      throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
    }
    const record = await readJsonIfExists<ImageRecord>(this.recordPath(id));
    if (record === undefined) throw notFound(`No such image: ${id}`);
    const references = await this.readReferences();
    references[referenceString(withDefaultTag(reference))] = id;
    await writeJsonAtomic(this.repositoriesPath, { references } satisfies RepositoriesFile);
    if (reference.digest === undefined) await this.updateRecord({ ...record, lastTagTime: new Date().toISOString() });
  }

  /** Removes a reference; returns the image it pointed to, or undefined when there was none. */
  async removeReference(reference: ImageReference): Promise<Digest | undefined> {
    const references = await this.readReferences();
    const key = referenceString(storedForm(reference));
    const id = references[key];
    if (id === undefined) return undefined;
    delete references[key];
    await writeJsonAtomic(this.repositoriesPath, { references } satisfies RepositoriesFile);
    return id;
  }

  /**
   * Finds the image a user means, by Docker's rules in order: a full id (with or
   * without `sha256:`), a reference (`name`, `name:tag`, `name@digest`), then an
   * unambiguous id prefix. A reference wins over an id prefix that looks the same.
   */
  async resolve(input: string): Promise<StoredImage> {
    const parsed = parseAnyReference(input);
    if (!isNamedReference(parsed)) {
      const image = isDigest(parsed.digest) ? await this.get(parsed.digest) : undefined;
      if (image === undefined) throw notFound(`No such image: ${parsed.digest}`);
      return image;
    }
    const referenced = await this.lookupReference(parsed);
    if (referenced !== undefined) {
      const image = await this.get(referenced);
      if (image !== undefined) return image;
    }
    const prefix = /^(?:sha256:)?([a-f0-9]+)$/.exec(input)?.[1];
    if (prefix !== undefined) {
      const matches = (await this.ids()).filter((id) => digestHex(id).startsWith(prefix));
      if (matches.length === 1) {
        const image = await this.get(matches[0]!);
        if (image !== undefined) return image;
      }
    }
    throw notFound(`No such image: ${familiarString(withDefaultTag(parsed))}`);
  }
}

/** The key a reference is stored under: digest wins over tag, and a bare name means `:latest`. */
function storedForm(reference: ImageReference): ImageReference {
  if (reference.digest !== undefined) return { domain: reference.domain, path: reference.path, digest: reference.digest };
  return withDefaultTag(reference);
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(Buffer.from(bytes).toString('utf8')) as ImageConfig;
  } catch (error) {
    throw invalidArgument('image config is not valid JSON', error);
  }
  if (typeof config !== 'object' || config === null || config.rootfs?.type !== 'layers' || !Array.isArray(config.rootfs.diff_ids)) {
    throw invalidArgument('image config has no rootfs of type "layers"');
  }
  for (const diffId of config.rootfs.diff_ids) {
    if (!isDigest(diffId)) throw invalidArgument(`image config names an invalid layer diff id: ${String(diffId)}`);
  }
  return config;
}
