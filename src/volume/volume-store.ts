/**
 * Volumes of the local driver: `<data-root>/volumes/<name>/_data` holds a volume's files,
 * `<name>/volume.json` what docker reports about it, written atomically after the
 * directory exists so that a directory without it is a create that died midway.
 * Which containers use a volume is the engine's knowledge; the store asks for it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../common/atomic-file.js';
import { directorySize } from '../common/directory-size.js';
import { conflict, invalidArgument, notFound } from '../common/errors.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { ANONYMOUS_LABEL } from './mount-config.js';
import { checkFilterKeys, pruneLabelsMatch } from '../common/label-filter.js';
import { type Filters, PRUNE_FILTERS, filterBoolean, volumeListFilter } from './volume-filters.js';

/** A volume as the API shows it (docker's volume.Volume). */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

interface VolumeMetadata {
  Name: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface VolumeStoreHooks {
  /** Ids of the containers that refer to a volume, whatever their state. */
  usersOf(name: string): string[];
  onEvent(action: 'create' | 'destroy', name: string, attributes: Record<string, string>): void;
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const LOCAL_OPTIONS = new Set(['type', 'device', 'o', 'size']);

function checkName(name: string): void {
  if (name.length === 1) throw invalidArgument(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!NAME_PATTERN.test(name)) {
    throw invalidArgument(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

function checkDriver(driver: string | undefined): void {
  if (driver && driver !== 'local') throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
}

/** berth's local driver keeps plain directories: the mount options of docker's local driver (tmpfs, nfs, a device) are refused by name. */
function checkOptions(name: string, options: Record<string, string>): void {
  for (const key of Object.keys(options)) {
    if (!LOCAL_OPTIONS.has(key)) throw invalidArgument(`create ${name}: invalid option: "${key}"`);
  }
  const given = Object.keys(options);
  if (given.length) {
    throw invalidArgument(`create ${name}: berth's local volume driver keeps volumes as directories and does not support the mount options ${given.map((key) => `"${key}"`).join(', ')} yet`);
  }
}

export class VolumeStore {
  private readonly volumes = new Map<string, VolumeMetadata>();
  private readonly lock = new KeyedMutex();

  private constructor(
    private readonly root: string,
    private readonly hooks: VolumeStoreHooks,
  ) {}

  /** Loads every volume; directories a create left without metadata are removed. */
  static async open(dataRoot: string, hooks: VolumeStoreHooks): Promise<VolumeStore> {
    const store = new VolumeStore(join(dataRoot, 'volumes'), hooks);
    await mkdir(store.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(store.root)) {
      const metadata = await readJsonIfExists<VolumeMetadata>(store.metadataPath(name));
      if (metadata) store.volumes.set(name, metadata);
      else await rm(join(store.root, name), { recursive: true, force: true });
    }
    return store;
  }

  private metadataPath(name: string): string {
    return join(this.root, name, 'volume.json');
  }

  /** Where a volume's files are: the source of its bind mount into containers. */
  dataPath(name: string): string {
    return join(this.root, name, '_data');
  }

  private view(metadata: VolumeMetadata): Volume {
    return {
      CreatedAt: metadata.CreatedAt, Driver: 'local', Labels: metadata.Labels, Mountpoint: this.dataPath(metadata.Name),
      Name: metadata.Name, Options: metadata.Options, Scope: 'local',
    };
  }

  /** `POST /volumes/create`: an existing volume of that name is answered as is, as docker does. */
  async create(request: VolumeCreateRequest): Promise<Volume> {
    return (await this.ensure(request)).volume;
  }

  /** Creates the volume unless it exists; says whether it did, so a failed container create can take it back. */
  async ensure(request: VolumeCreateRequest): Promise<{ volume: Volume; created: boolean }> {
    const name = request.Name || randomBytes(32).toString('hex');
    checkDriver(request.Driver);
    checkName(name);
    return this.lock.run(name, async () => {
      const existing = this.volumes.get(name);
      if (existing) return { volume: this.view(existing), created: false };
      checkOptions(name, request.DriverOpts ?? {});
      const labels = request.Labels && Object.keys(request.Labels).length ? { ...request.Labels } : null;
      const metadata: VolumeMetadata = {
        Name: name, CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), Labels: labels,
        Options: request.DriverOpts && Object.keys(request.DriverOpts).length ? { ...request.DriverOpts } : null,
      };
      await mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
      try {
        await writeJsonAtomic(this.metadataPath(name), metadata);
      } catch (error) {
        await rm(join(this.root, name), { recursive: true, force: true });
        throw error;
      }
      this.volumes.set(name, metadata);
      this.hooks.onEvent('create', name, { driver: 'local' });
      return { volume: this.view(metadata), created: true };
    });
  }

  get(name: string): Volume {
    const metadata = this.volumes.get(name);
    if (!metadata) throw notFound(`get ${name}: no such volume`);
    return this.view(metadata);
  }

  /** Runs `work` on a volume's data directory while no create or remove of it can interleave (copy-up). */
  withVolume<T>(name: string, work: (dataDir: string) => Promise<T>): Promise<T> {
    return this.lock.run(name, async () => {
      this.get(name);
      return work(this.dataPath(name));
    });
  }

  list(filters: Filters): Volume[] {
    const selected = volumeListFilter(filters);
    return [...this.volumes.values()]
      .filter((metadata) => selected({ name: metadata.Name, driver: 'local', labels: metadata.Labels ?? {}, inUse: this.hooks.usersOf(metadata.Name).length > 0 }))
      .map((metadata) => this.view(metadata));
  }

  /** `DELETE /volumes/{name}`: force only forgives a missing volume; one in use is never removed. */
  async remove(name: string, options: { force: boolean }): Promise<void> {
    const removed = await this.lock.run(name, async () => {
      if (!this.volumes.has(name)) {
        if (options.force) return false;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = this.hooks.usersOf(name);
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(' ')}]`);
      // Metadata first: a crash then leaves a directory without volume.json, which open() removes.
      await rm(this.metadataPath(name), { force: true });
      this.volumes.delete(name);
      await rm(join(this.root, name), { recursive: true, force: true });
      return true;
    });
    if (removed) this.hooks.onEvent('destroy', name, { driver: 'local' });
  }

  /**
   * `POST /volumes/prune`: unused volumes matching the labels; only anonymous ones
   * unless `all=true` or the client's API is older than 1.42 (`allByDefault`).
   */
  async prune(filters: Filters, options: { allByDefault: boolean }): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    checkFilterKeys(filters, PRUNE_FILTERS);
    const allValues = (filters.all ?? []).map((value) => filterBoolean('all', value));
    const all = allValues.length ? allValues.some(Boolean) : options.allByDefault;
    const report = { VolumesDeleted: [] as string[], SpaceReclaimed: 0 };
    for (const metadata of [...this.volumes.values()]) {
      const labels = metadata.Labels ?? {};
      if (!all && !Object.hasOwn(labels, ANONYMOUS_LABEL)) continue;
      if (!pruneLabelsMatch(labels, filters)) continue;
      if (this.hooks.usersOf(metadata.Name).length) continue;
      const size = await directorySize(this.dataPath(metadata.Name));
      try {
        await this.remove(metadata.Name, { force: false });
      } catch {
        continue; // taken into use or removed meanwhile: docker passes over it too
      }
      report.VolumesDeleted.push(metadata.Name);
      report.SpaceReclaimed += size;
    }
    return report;
  }

  /** Every volume with its size and how many containers refer to it, for `system df`. */
  async usage(): Promise<Volume[]> {
    return Promise.all([...this.volumes.values()].map(async (metadata) => ({
      ...this.view(metadata),
      UsageData: { Size: await directorySize(this.dataPath(metadata.Name)), RefCount: this.hooks.usersOf(metadata.Name).length },
    })));
  }
}
