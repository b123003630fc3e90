import type { Digest } from '../store/digest.js';
import type { ExecutionConfig, HealthConfig } from './image-config.js';
import type { StoredImage } from './image-store.js';
import { type ImageReference, familiarString } from '../common/image-reference.js';

/** Docker's container.Config as image inspect shows it: every field present. */
export interface InspectConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: InspectConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Go's zero time, which Docker prints when an image has no creation time. */
const zeroTime = '0001-01-01T00:00:00Z';

export function repoTags(references: readonly ImageReference[]): string[] {
  return references.filter((reference) => reference.tag !== undefined).map(familiarString);
}

export function repoDigests(references: readonly ImageReference[]): string[] {
  return references.filter((reference) => reference.digest !== undefined).map(familiarString);
}

export function createdSeconds(image: StoredImage): number {
  const created = image.config.created === undefined ? Number.NaN : Date.parse(image.config.created);
  return Number.isNaN(created) ? 0 : Math.floor(created / 1000);
}

export function imageSize(image: StoredImage, layerSizes: ReadonlyMap<Digest, number>): number {
  return image.chainIds.reduce((total, chainId) => total + (layerSizes.get(chainId) ?? 0), 0);
}

export function inspectConfig(config: ExecutionConfig | undefined): InspectConfig {
  const source = config ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: source.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(source.ExposedPorts === undefined ? {} : { ExposedPorts: source.ExposedPorts }),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: source.Env ?? null,
    Cmd: source.Cmd ?? null,
    ...(source.Healthcheck === undefined ? {} : { Healthcheck: source.Healthcheck }),
    ...(source.ArgsEscaped === undefined ? {} : { ArgsEscaped: source.ArgsEscaped }),
    Image: '',
    Volumes: source.Volumes ?? null,
    WorkingDir: source.WorkingDir ?? '',
    Entrypoint: source.Entrypoint ?? null,
    OnBuild: source.OnBuild ?? null,
    Labels: source.Labels ?? null,
    ...(source.StopSignal === undefined ? {} : { StopSignal: source.StopSignal }),
    ...(source.Shell === undefined ? {} : { Shell: source.Shell }),
  };
}

export function inspectView(
  image: StoredImage,
  references: readonly ImageReference[],
  layerSizes: ReadonlyMap<Digest, number>,
  layerDiffDirs: readonly string[],
): ImageInspect {
  const { config } = image;
  const top = layerDiffDirs.at(-1);
  return {
    Id: image.id,
    RepoTags: repoTags(references),
    RepoDigests: repoDigests(references),
    Parent: image.record.parent ?? '',
    Comment: config.comment ?? '',
    Created: config.created ?? zeroTime,
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: inspectConfig(config.config),
    Architecture: config.architecture,
    ...(config.variant === undefined ? {} : { Variant: config.variant }),
    Os: config.os,
    ...(config['os.version'] === undefined ? {} : { OsVersion: config['os.version'] }),
    Size: imageSize(image, layerSizes),
    GraphDriver: {
      Name: 'overlay',
      Data:
        top === undefined
          ? null
          : {
              UpperDir: top,
              ...(layerDiffDirs.length > 1 ? { LowerDir: layerDiffDirs.slice(0, -1).reverse().join(':') } : {}),
            },
    },
    RootFS: { Type: 'layers', Layers: [...config.rootfs.diff_ids] },
    Metadata: { LastTagTime: image.record.lastTagTime ?? zeroTime },
  };
}

/** One `GET /images/json` entry; the tags and digests shown depend on the list's filters. */
export function summaryView(
  image: StoredImage,
  shown: { repoTags: string[]; repoDigests: string[] },
  layerSizes: ReadonlyMap<Digest, number>,
): ImageSummary {
  return {
    Id: image.id,
    ParentId: image.record.parent ?? '',
    RepoTags: shown.repoTags,
    RepoDigests: shown.repoDigests,
    Created: createdSeconds(image),
    Size: imageSize(image, layerSizes),
    SharedSize: -1,
    Labels: image.config.config?.Labels ?? {},
    Containers: -1,
  };
}

/**
 * `GET /images/{name}/history`: newest first, one item per history entry; entries
 * that added a layer carry that layer's size. Only the image itself is named (the
 * rest are `<missing>`), as Docker does for images it did not build locally.
 */
export function historyView(
  image: StoredImage,
  references: readonly ImageReference[],
  layerSizes: ReadonlyMap<Digest, number>,
): HistoryItem[] {
  const items: HistoryItem[] = [];
  let layerIndex = 0;
  for (const entry of image.config.history ?? []) {
    let size = 0;
    if (entry.empty_layer !== true) {
      const chainId = image.chainIds[layerIndex];
      if (chainId === undefined) throw new Error(`image ${image.id}: too many non-empty layers in History section`);
      size = layerSizes.get(chainId) ?? 0;
      layerIndex += 1;
    }
    const created = entry.created === undefined ? Number.NaN : Date.parse(entry.created);
    items.unshift({
      Id: '<missing>',
      Created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
      CreatedBy: entry.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: entry.comment ?? '',
    });
  }
  const newest = items[0];
  if (newest !== undefined) {
    newest.Id = image.id;
    const tags = repoTags(references);
    newest.Tags = tags.length === 0 ? null : tags;
  }
  return items;
}
