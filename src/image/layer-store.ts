import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file.js';
import { errnoCode, internal, invalidArgument, notImplemented } from '../common/errors.js';
import { pathExists } from '../common/path-exists.js';
import { type Digest, digestHex, parseDigest } from '../store/digest.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { chainIdOf } from './chain-id.js';
import { applyLayer } from '../tar/apply-layer.js';
import { markTopDirectory } from '../sys/top-directory.js';
import { assembleTar, keptBodiesDir } from '../tar/tar-split.js';

/** A compressed form of a layer kept in the blob store, exactly as a registry or archive served it. */
export interface CompressedLayer {
  digest: Digest;
  size: number;
  mediaType: string;
  /** Repositories (`host/path`) known to hold this blob, for cross-repository mounts on push. */
  sources: string[];
}

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Bytes of content the layer holds, as measured when it was applied. */
  size: number;
  /** Length of the layer's uncompressed tar (absent in layers unpacked by older versions). */
  tarSize?: number;
  /** Name of this layer's symlink in the short-link directory, used in overlay mount options. */
  short: string;
  /**
   * Compressed blobs this layer was received as. Kept so that a push or save sends the very
   * bytes (and digests) the image came with instead of recompressing; their blobs are removed
   * with the last layer that lists them.
   */
  compressed?: CompressedLayer[];
}

/**
 * Holds layers against removal while an operation that will reference them (an
 * image record or container record not yet written) is in progress.
 */
export class LayerPin {
  private readonly held: Digest[] = [];
  private released = false;

  constructor(private readonly counts: Map<Digest, number>) {}

  add(chainId: Digest): void {
    if (this.released) throw new Error('layer pin already released');
    this.held.push(chainId);
    this.counts.set(chainId, (this.counts.get(chainId) ?? 0) + 1);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const chainId of this.held) {
      const remaining = (this.counts.get(chainId) ?? 1) - 1;
      if (remaining === 0) this.counts.delete(chainId);
      else this.counts.set(chainId, remaining);
    }
  }
}

/** A layer unpacked into the store's temporary area, not yet installed under its chain id. */
export interface UnpackedLayer {
  dir: string;
  diffId: Digest;
  size: number;
  tarSize: number;
}

const TAR_SPLIT_FILE = 'tar-split.gz';

const shortNameAlphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
const shortNameLength = 6;

/**
 * Unpacked layers, each once, under `<dir>/<chain-id-hex>/{diff/,layer.json,tar-split.gz}`,
 * shared by every image and container whose stack contains it. The tar-split gives back
 * the layer's exact tar stream (openTar), for save and push. A layer is unpacked
 * into `<dir>/tmp/` and renamed into place complete, so a failure leaves nothing.
 * Each layer also gets a short symlink in `linksDir` so overlay mount options
 * naming hundreds of lower layers stay within the kernel's one-page limit.
 */
export class LayerStore {
  private readonly chainLocks = new KeyedMutex();
  private readonly pins = new Map<Digest, number>();
  private readonly tmpDir: string;
  private tmpDirReady: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly linksDir: string,
  ) {
    this.tmpDir = join(dir, 'tmp');
  }

  /** Removes unpacks interrupted by a crash; call once at start. */
  async removeTemporaries(): Promise<void> {
    this.tmpDirReady = undefined;
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  /**
   * The temporary area, where layers are unpacked and removed. Each unpack is a hierarchy of its
   * own: marked so, the file system places each one apart (see markTopDirectory).
   */
  private ensureTmpDir(): Promise<void> {
    this.tmpDirReady ??= mkdir(this.tmpDir, { recursive: true }).then(
      () => {
        markTopDirectory(this.tmpDir);
      },
      (error: unknown) => {
        this.tmpDirReady = undefined;
        throw error;
      },
    );
    return this.tmpDirReady;
  }

  pin(): LayerPin {
    return new LayerPin(this.pins);
  }

  private layerDir(chainId: Digest): string {
    return join(this.dir, digestHex(chainId));
  }

  diffDir(chainId: Digest): string {
    return join(this.layerDir(chainId), 'diff');
  }

  /**
   * Unpacks a layer whose diff id is known only once it has been read (an import).
   * If the same layer is already present the new unpack is discarded.
   */
  async register(source: Readable, parent: Digest | null, pin: LayerPin): Promise<LayerRecord> {
    return this.install(await this.unpack(source), parent, pin);
  }

  /**
   * Unpacks a layer into the temporary area, where it stays invisible until `install`
   * (or `discard`): an archive's layers can be unpacked before their order is known.
   */
  async unpack(source: Readable): Promise<UnpackedLayer> {
    const dir = join(this.tmpDir, `layer-${randomBytes(8).toString('hex')}`);
    try {
      await this.ensureTmpDir();
      await mkdir(join(dir, 'diff'), { recursive: true, mode: 0o700 });
      const applied = await applyLayer(source, join(dir, 'diff'), { tarSplit: join(dir, TAR_SPLIT_FILE) });
      return { dir, diffId: parseDigest(applied.diffId), size: applied.size, tarSize: applied.tarSize };
    } catch (error) {
      source.destroy();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Moves an unpacked layer into place on top of `parent` and pins it; when the layer is
   * already present the unpack is discarded and the present one returned. A present layer
   * made before berth kept tar-splits gets this unpack's (same diff id, same tar), so it can
   * be saved and pushed from then on.
   */
  async install(unpacked: UnpackedLayer, parent: Digest | null, pin: LayerPin): Promise<LayerRecord> {
    try {
      const chainId = chainIdOf(parent, unpacked.diffId);
      return await this.chainLocks.run(chainId, async () => {
        const existing = await this.get(chainId);
        if (existing === undefined) await this.moveIntoPlace(unpacked, chainId, parent);
        else if (!(await this.canReassemble(chainId))) await this.adoptTarSplit(unpacked, existing);
        pin.add(chainId);
        return await this.require(chainId);
      });
    } finally {
      await this.discard(unpacked);
    }
  }

  private async adoptTarSplit(unpacked: UnpackedLayer, layer: LayerRecord): Promise<void> {
    const split = join(unpacked.dir, TAR_SPLIT_FILE);
    const target = join(this.layerDir(layer.chainId), TAR_SPLIT_FILE);
    if (await pathExists(keptBodiesDir(split))) await rename(keptBodiesDir(split), keptBodiesDir(target));
    await rename(split, target);
    await writeJsonAtomic(join(this.layerDir(layer.chainId), 'layer.json'), { ...layer, tarSize: unpacked.tarSize });
  }

  async discard(unpacked: UnpackedLayer): Promise<void> {
    await rm(unpacked.dir, { recursive: true, force: true });
  }

  /**
   * Makes sure the layer with this diff id on top of `parent` is present, opening and
   * unpacking its content only when it is not: concurrent pulls of one layer unpack it once.
   */
  async ensure(diffId: string, parent: Digest | null, open: () => Promise<Readable>, pin: LayerPin): Promise<LayerRecord> {
    const expected = parseDigest(diffId);
    const chainId = chainIdOf(parent, expected);
    return this.chainLocks.run(chainId, async () => {
      const existing = await this.get(chainId);
      if (existing === undefined) {
        const unpacked = await this.unpack(await open());
        try {
          if (unpacked.diffId !== expected) {
            throw invalidArgument(`layer content has diff id ${unpacked.diffId}, expected ${expected}`);
          }
          await this.moveIntoPlace(unpacked, chainId, parent);
        } finally {
          await this.discard(unpacked);
        }
      }
      pin.add(chainId);
      return existing ?? (await this.require(chainId));
    });
  }

  /** Moves a complete unpack into place; runs under the chain's lock. */
  private async moveIntoPlace(unpacked: UnpackedLayer, chainId: Digest, parent: Digest | null): Promise<void> {
    const record: LayerRecord = {
      chainId,
      diffId: unpacked.diffId,
      parent,
      size: unpacked.size,
      tarSize: unpacked.tarSize,
      short: await this.createShortLink(chainId),
    };
    try {
      await writeJsonAtomic(join(unpacked.dir, 'layer.json'), record);
      await rename(unpacked.dir, this.layerDir(chainId));
    } catch (error) {
      await rm(join(this.linksDir, record.short), { force: true });
      throw error;
    }
  }

  private async createShortLink(chainId: Digest): Promise<string> {
    await mkdir(this.linksDir, { recursive: true });
    const target = relative(this.linksDir, this.diffDir(chainId));
    for (;;) {
      let short = '';
      for (let index = 0; index < shortNameLength; index += 1) short += shortNameAlphabet[randomInt(shortNameAlphabet.length)];
      try {
        await symlink(target, join(this.linksDir, short));
        return short;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
    }
  }

  /** The layer's short link name, recreating the link if a crash lost it. */
  async shortLink(chainId: Digest): Promise<string> {
    const layer = await this.require(chainId);
    const link = join(this.linksDir, layer.short);
    const target = relative(this.linksDir, this.diffDir(chainId));
    try {
      if ((await readlink(link)) === target) return layer.short;
      throw invalidArgument(`short link ${layer.short} of layer ${chainId} points elsewhere`);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      await mkdir(this.linksDir, { recursive: true });
      await symlink(target, link);
      return layer.short;
    }
  }

  async get(chainId: Digest): Promise<LayerRecord | undefined> {
    return readJsonIfExists<LayerRecord>(join(this.layerDir(chainId), 'layer.json'));
  }

  async require(chainId: Digest): Promise<LayerRecord> {
    const layer = await this.get(chainId);
    if (layer === undefined) throw new Error(`layer ${chainId} is missing from the layer store`);
    return layer;
  }

  async has(chainId: Digest): Promise<boolean> {
    try {
      await stat(join(this.layerDir(chainId), 'layer.json'));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  async list(): Promise<LayerRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
    const layers: LayerRecord[] = [];
    for (const name of names) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const layer = await this.get(`sha256:${name}`);
      if (layer !== undefined) layers.push(layer);
    }
    return layers;
  }

  /** Whether openTar can give this layer's tar back (layers of older versions have no tar-split). */
  canReassemble(chainId: Digest): Promise<boolean> {
    return pathExists(join(this.layerDir(chainId), TAR_SPLIT_FILE));
  }

  /**
   * The layer's original uncompressed tar, reassembled from its directory and tar-split. The
   * stream fails at its end if what it produced does not hash to the layer's diff id, so a
   * damaged layer is never passed off as the original.
   */
  openTar(chainId: Digest): Readable {
    return Readable.from(this.verifiedTar(chainId), { objectMode: false });
  }

  private async *verifiedTar(chainId: Digest): AsyncGenerator<Buffer> {
    const layer = await this.require(chainId);
    const split = join(this.layerDir(chainId), TAR_SPLIT_FILE);
    if (!(await this.canReassemble(chainId))) {
      throw notImplemented(
        `layer ${chainId} was unpacked by an older berth, which kept no tar-split: its original tar cannot be reproduced (remove the image and pull, load or import it again)`,
      );
    }
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of assembleTar(this.diffDir(chainId), split)) {
      hash.update(chunk);
      length += chunk.length;
      yield chunk;
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== layer.diffId) {
      throw internal(`layer ${chainId} was reassembled into a ${length}-byte tar with digest ${digest}, not its diff id ${layer.diffId}`);
    }
  }

  /**
   * The length of the layer's uncompressed tar. Layers recorded before the size was kept are
   * measured (and checked) once by reassembling them, and the size is recorded.
   */
  async tarSize(chainId: Digest): Promise<number> {
    const known = (await this.require(chainId)).tarSize;
    if (known !== undefined) return known;
    let length = 0;
    for await (const chunk of this.openTar(chainId)) length += (chunk as Buffer).length;
    await this.chainLocks.run(chainId, async () => {
      const layer = await this.require(chainId);
      await writeJsonAtomic(join(this.layerDir(chainId), 'layer.json'), { ...layer, tarSize: length });
    });
    return length;
  }

  /**
   * Records a compressed blob of the layer (already in the blob store), merging the
   * repositories known to hold it with those recorded before.
   */
  async addCompressed(chainId: Digest, form: CompressedLayer): Promise<void> {
    await this.chainLocks.run(chainId, async () => {
      const layer = await this.require(chainId);
      const forms = layer.compressed ?? [];
      const known = forms.find((existing) => existing.digest === form.digest);
      if (known === undefined) forms.push({ ...form, sources: [...new Set(form.sources)] });
      else if (form.sources.every((source) => known.sources.includes(source))) return;
      else known.sources = [...new Set([...known.sources, ...form.sources])];
      await writeJsonAtomic(join(this.layerDir(chainId), 'layer.json'), { ...layer, compressed: forms });
    });
  }

  /**
   * Removes a layer unless an operation in progress has pinned it; returns the removed
   * layer's record. The directory is first renamed away, so a crash mid-delete never
   * leaves a half layer under its name.
   */
  async remove(chainId: Digest): Promise<LayerRecord | undefined> {
    return this.chainLocks.run(chainId, async () => {
      if (this.pins.has(chainId)) return undefined;
      const layer = await this.get(chainId);
      if (layer === undefined) return undefined;
      await this.ensureTmpDir();
      const doomed = join(this.tmpDir, `removing-${randomBytes(8).toString('hex')}`);
      await rename(this.layerDir(chainId), doomed);
      await rm(join(this.linksDir, layer.short), { force: true });
      await rm(doomed, { recursive: true, force: true });
      return layer;
    });
  }
}
