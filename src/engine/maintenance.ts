import { join } from 'node:path';
import type { ImageService } from '../image/images.js';
import { type ContainerChange, LayeredTree, overlayChanges } from './container-changes.js';
import type { ContainerService } from './container-service.js';
import { type DiskUsage, diskUsage } from './disk-usage.js';
import type { EventBus } from './events.js';
import { type ContainerPruneReport, type ImagePruneReport, Pruner } from './prune.js';
import type { Filters, MaintenanceApi } from './types.js';
import type { VolumeStore } from '../volume/volume-store.js';

/** `docker diff`, the prune commands and `docker system df`: looking at and reclaiming disk space. */
export class MaintenanceService implements MaintenanceApi {
  private readonly pruner: Pruner;

  constructor(
    private readonly containers: ContainerService,
    private readonly images: ImageService,
    private readonly volumes: VolumeStore,
    events: EventBus,
  ) {
    this.pruner = new Pruner(containers, images, events);
  }

  /** A container's changes to its image; none before its rootfs exists (created, never started). */
  async changes(ref: string): Promise<ContainerChange[]> {
    const { Id: id } = this.containers.find(ref);
    const rootfs = await this.images.rootfs.record(id);
    if (rootfs === undefined) return [];
    const layers = [...rootfs.layers].reverse().map((chainId) => this.images.layers.diffDir(chainId));
    return overlayChanges(join(this.images.rootfs.rootfsDir(id), 'upper'), new LayeredTree(layers));
  }

  pruneContainers(filters: Filters): Promise<ContainerPruneReport> {
    return this.pruner.containersPrune(filters);
  }

  pruneImages(filters: Filters): Promise<ImagePruneReport> {
    return this.pruner.imagesPrune(filters);
  }

  diskUsage(): Promise<DiskUsage> {
    return diskUsage(this.images, this.containers, this.volumes);
  }
}
