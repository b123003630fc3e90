import type { ImageSummary } from '../image/image-views.js';
import type { ImageService } from '../image/images.js';
import type { ContainerService } from './container-service.js';
import type { Volume, VolumeStore } from '../volume/volume-store.js';

/** `GET /system/df`: Docker's DiskUsage. berth has no build cache yet, so that list is empty. */
export interface DiskUsage {
  /** Bytes of every unpacked layer, each counted once. */
  LayersSize: number;
  Images: ImageSummary[];
  Containers: object[];
  /** Each with UsageData: its size and how many containers refer to it. */
  Volumes: Volume[];
  BuildCache: object[];
}

/**
 * Images as `docker images` lists them plus what df adds: how many containers use each
 * and its shared size (the bytes of its layers that another listed image also has).
 * Containers carry their writable-layer size (SizeRw) and that plus their image's (SizeRootFs).
 */
export async function diskUsage(images: ImageService, containers: ContainerService, volumes: VolumeStore): Promise<DiskUsage> {
  const summaries = await images.list();
  const chainIds = new Map((await images.images.list()).map((image) => [image.id as string, image.chainIds]));
  const layers = await images.layers.list();
  const layerSizes = new Map<string, number>(layers.map((layer) => [layer.chainId, layer.size]));
  const layerUsers = new Map<string, number>();
  for (const summary of summaries) {
    for (const chainId of chainIds.get(summary.Id) ?? []) layerUsers.set(chainId, (layerUsers.get(chainId) ?? 0) + 1);
  }
  const withUsage = summaries.map((summary) => ({
    ...summary,
    Containers: containers.containersUsingImage(summary.Id).length,
    SharedSize: (chainIds.get(summary.Id) ?? [])
      .filter((chainId) => (layerUsers.get(chainId) ?? 0) > 1)
      .reduce((total, chainId) => total + (layerSizes.get(chainId) ?? 0), 0),
  }));
  return {
    LayersSize: layers.reduce((total, layer) => total + layer.size, 0),
    Images: withUsage,
    Containers: await containers.list({ all: true, size: true, filters: {} }),
    Volumes: await volumes.usage(),
    BuildCache: [],
  };
}
