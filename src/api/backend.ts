import type { EventBus } from '../engine/events.js';
import type { ContainerApi, ExecApi } from '../engine/types.js';
import type { ContainerStatsApi } from '../engine/types.js';
import type { ContainerArchiveApi } from '../engine/types.js';
import type { MaintenanceApi } from '../engine/types.js';
import type { ImageService } from '../image/images.js';
import type { VolumeStore } from '../volume/volume-store.js';

/** The part of the image service the API serves. */
export type ImageApi = Pick<
  ImageService,
  'import' | 'list' | 'inspect' | 'history' | 'tag' | 'remove' | 'resolve' | 'pull' | 'push' | 'login' | 'search' | 'save' | 'load'
>;

/** The part of the volume store the API serves. */
export type VolumeApi = Pick<VolumeStore, 'create' | 'get' | 'list' | 'remove' | 'prune'>;

export interface SystemApi {
  info(): Promise<object>;
  version(): object;
  /** `GET /system/df`; answered 501 when absent. */
  df?(): Promise<object>;
}

/** Everything the HTTP layer calls: the engine's contracts, free of HTTP. */
export interface ApiBackend {
  containers: ContainerApi;
  execs: ExecApi;
  containerStats: ContainerStatsApi;
  archive: ContainerArchiveApi;
  maintenance: MaintenanceApi;
  images: ImageApi;
  volumes: VolumeApi;
  events: Pick<EventBus, 'past' | 'subscribe'>;
  system: SystemApi;
}
