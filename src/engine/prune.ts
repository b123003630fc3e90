import { conflict, invalidArgument, isBerthError } from '../common/errors.js';
import { checkFilterKeys, pruneLabelsMatch } from '../common/label-filter.js';
import type { ImageDeleteItem } from '../image/image-delete.js';
import { parseTimestamp } from '../image/image-filters.js';
import type { ImageService } from '../image/images.js';
import { familiarString } from '../common/image-reference.js';
import type { ContainerService } from './container-service.js';
import type { EventBus } from './events.js';
import type { Filters } from './types.js';
import { danglingValue } from '../image/image-filters.js';

export interface ContainerPruneReport {
  ContainersDeleted: string[];
  SpaceReclaimed: number;
}

export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[];
  SpaceReclaimed: number;
}

/** The `until` filter in epoch milliseconds; Docker takes one value at most. */
function untilFilter(filters: Filters, now: number): number | undefined {
  const values = filters.until ?? [];
  if (values.length > 1) throw invalidArgument('more than one until filter specified');
  return values.length === 0 ? undefined : parseTimestamp(values[0]!, now);
}

/** `dangling` as a prune filter: true unless asked otherwise (`dangling=false` prunes every unused image). */
function danglingOnly(filters: Filters): boolean {
  return danglingValue(filters.dangling) ?? true;
}

/** Errors that mean another operation got to the object first: the prune passes it over, as Docker does. */
function lostRace(error: unknown): boolean {
  return isBerthError(error) && (error.kind === 'not-found' || error.kind === 'conflict');
}

/**
 * `POST /containers/prune` and `POST /images/prune`. One prune of each kind runs at a
 * time; a second is refused with Docker's message.
 */
export class Pruner {
  private readonly running = new Set<'containers' | 'images'>();

  constructor(
    private readonly containers: ContainerService,
    private readonly images: ImageService,
    private readonly events: EventBus,
  ) {}

  private async exclusive<T>(kind: 'containers' | 'images', work: () => Promise<T>): Promise<T> {
    if (this.running.has(kind)) throw conflict('a prune operation is already running');
    this.running.add(kind);
    try {
      return await work();
    } finally {
      this.running.delete(kind);
    }
  }

  /** Removes every container that is not running (created, exited, dead) and matches the filters. */
  containersPrune(filters: Filters): Promise<ContainerPruneReport> {
    checkFilterKeys(filters, ['until', 'label', 'label!']);
    const until = untilFilter(filters, Date.now());
    return this.exclusive('containers', async () => {
      const report: ContainerPruneReport = { ContainersDeleted: [], SpaceReclaimed: 0 };
      for (const record of this.containers.all()) {
        if (record.State.Running) continue;
        if (until !== undefined && Date.parse(record.Created) > until) continue;
        if (!pruneLabelsMatch(record.Config.Labels ?? {}, filters)) continue;
        const size = await this.images.rootfsUsage(record.Id).catch(() => 0);
        try {
          await this.containers.remove(record.Id, { force: false, volumes: false });
        } catch (error) {
          if (lostRace(error)) continue;
          throw error;
        }
        report.ContainersDeleted.push(record.Id);
        report.SpaceReclaimed += size;
      }
      this.events.publish('container', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
      return report;
    });
  }

  /**
   * Removes images no container uses: only dangling ones (no tag) unless `dangling=false`.
   * Intermediate images (untagged parents) stay with their children. Each tagged image
   * is removed through its references, so the answer lists the untags, then the image
   * and the layers nothing else holds; the space reclaimed is those layers' size.
   */
  imagesPrune(filters: Filters): Promise<ImagePruneReport> {
    checkFilterKeys(filters, ['dangling', 'until', 'label', 'label!']);
    const onlyDangling = danglingOnly(filters);
    const until = untilFilter(filters, Date.now());
    return this.exclusive('images', async () => {
      const stored = await this.images.images.list();
      const references = await this.images.images.allReferences();
      const parents = new Set(stored.map((image) => image.record.parent).filter((parent) => parent !== undefined));
      const used = new Set(this.containers.all().map((record) => record.Image));
      const layerSizes = new Map<string, number>((await this.images.layers.list()).map((layer) => [layer.chainId, layer.size]));
      const deleted: ImageDeleteItem[] = [];
      const remove = async (reference: string): Promise<void> => {
        try {
          deleted.push(...(await this.images.remove(reference)));
        } catch (error) {
          if (!lostRace(error)) throw error;
        }
      };
      for (const image of stored) {
        if (parents.has(image.id) || used.has(image.id)) continue;
        const created = Date.parse(image.config.created ?? '');
        if (until !== undefined && !(created <= until)) continue;
        if (!pruneLabelsMatch(image.config.config?.Labels ?? {}, filters)) continue;
        const named = references.filter((entry) => entry.id === image.id).map((entry) => entry.reference);
        if (named.length === 0) {
          await remove(image.id);
          continue;
        }
        if (onlyDangling && named.some((reference) => reference.tag !== undefined)) continue;
        for (const reference of named) await remove(familiarString(reference));
      }
      const reclaimed = deleted.reduce((total, item) => total + (item.Deleted === undefined ? 0 : (layerSizes.get(item.Deleted) ?? 0)), 0);
      this.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
      return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
    });
  }
}
