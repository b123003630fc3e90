import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file.js';
import { directorySize } from '../common/directory-size.js';
import { errnoCode, invalidArgument } from '../common/errors.js';
import type { Digest } from '../store/digest.js';
import type { LayerStore } from './layer-store.js';
import { isMountpoint, mountOverlay, overlayHasIndexOption, unmount } from './overlay-mount.js';

/** What a container's rootfs is made of, kept beside it so its layers stay referenced. */
export interface RootfsRecord {
  imageId: Digest;
  /** Chain ids, base first. */
  layers: Digest[];
}

const containerIdPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Container root filesystems: `containers/<id>/rootfs/{upper,work,merged}` plus
 * `layers.json`, an overlay of the image's shared layers under a private upper dir.
 */
export class RootfsManager {
  constructor(
    private readonly containersDir: string,
    private readonly layers: LayerStore,
    /** An empty directory: the lower layer of an image with no layers. */
    private readonly emptyLowerDir: string,
  ) {}

  rootfsDir(containerId: string): string {
    if (!containerIdPattern.test(containerId)) throw invalidArgument(`invalid container id: ${JSON.stringify(containerId)}`);
    return join(this.containersDir, containerId, 'rootfs');
  }

  mergedDir(containerId: string): string {
    return join(this.rootfsDir(containerId), 'merged');
  }

  async record(containerId: string): Promise<RootfsRecord | undefined> {
    return readJsonIfExists<RootfsRecord>(join(this.rootfsDir(containerId), 'layers.json'));
  }

  /**
   * Creates the container's directories and layer record if they are not there yet
   * (a rootfs that exists keeps its upper dir and its original layers). Callers run
   * this serialized with layer removal, so the layers cannot vanish underneath.
   * Returns whether the rootfs was created by this call.
   */
  async create(containerId: string, imageId: Digest, chainIds: readonly Digest[]): Promise<boolean> {
    const dir = this.rootfsDir(containerId);
    if ((await this.record(containerId)) !== undefined) return false;
    for (const chainId of chainIds) {
      if (!(await this.layers.has(chainId))) throw new Error(`layer ${chainId} of image ${imageId} is missing from the layer store`);
    }
    await mkdir(join(dir, 'upper'), { recursive: true, mode: 0o755 });
    await mkdir(join(dir, 'work'), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, 'merged'), { recursive: true, mode: 0o755 });
    await writeJsonAtomic(join(dir, 'layers.json'), { imageId, layers: [...chainIds] } satisfies RootfsRecord);
    return true;
  }

  /** Mounts the overlay on `merged` unless it is mounted already; returns the merged path. */
  async mount(containerId: string): Promise<string> {
    const dir = this.rootfsDir(containerId);
    const merged = join(dir, 'merged');
    const record = await this.record(containerId);
    if (record === undefined) throw new Error(`container ${containerId} has no rootfs to mount`);
    if (await isMountpoint(merged)) return merged;
    const lowerDirs: string[] = [];
    for (const chainId of [...record.layers].reverse()) lowerDirs.push(await this.layers.shortLink(chainId));
    if (lowerDirs.length === 0) {
      await mkdir(this.emptyLowerDir, { recursive: true, mode: 0o755 });
      lowerDirs.push(this.emptyLowerDir);
    }
    await mountOverlay(
      {
        lowerDirs,
        upperDir: join(dir, 'upper'),
        workDir: join(dir, 'work'),
        cwd: this.layers.linksDir,
        indexOff: await overlayHasIndexOption(),
      },
      merged,
    );
    return merged;
  }

  /** Unmounts the rootfs, keeping the container's changes (a stopped container). */
  async unmount(containerId: string): Promise<void> {
    await unmount(this.mergedDir(containerId));
  }

  /** Unmounts and deletes the rootfs with the container's changes (a removed container). */
  async remove(containerId: string): Promise<void> {
    const dir = this.rootfsDir(containerId);
    await unmount(join(dir, 'merged'));
    await rm(dir, { recursive: true, force: true });
  }

  /** Chain ids used by any container's rootfs. */
  async layersInUse(): Promise<Set<Digest>> {
    const used = new Set<Digest>();
    let ids: string[];
    try {
      ids = await readdir(this.containersDir);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return used;
      throw error;
    }
    for (const id of ids) {
      if (!containerIdPattern.test(id)) continue;
      const record = await this.record(id);
      for (const chainId of record?.layers ?? []) used.add(chainId);
    }
    return used;
  }

  /** Bytes the container has written (its upper dir), counting hard-linked files once: `SizeRw`. */
  async usage(containerId: string): Promise<number> {
    return directorySize(join(this.rootfsDir(containerId), 'upper'));
  }
}
