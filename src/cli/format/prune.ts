/**
 * What the prune commands print, as docker's CLI words it: the deleted objects, then
 * `Total reclaimed space:` in go-units' 4-digit decimal sizes.
 */
import { humanSize } from './units.js';

export interface ContainerPruneReport {
  ContainersDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

export interface ImagePruneReport {
  ImagesDeleted?: Array<{ Untagged?: string; Deleted?: string }> | null;
  SpaceReclaimed?: number;
}

export interface VolumePruneReport {
  VolumesDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

/** One prune's part of the output ("" when nothing was deleted) and the space it counts. */
export interface PruneOutcome {
  text: string;
  reclaimed: number;
}

export function containerPruneOutcome(report: ContainerPruneReport): PruneOutcome {
  const deleted = report.ContainersDeleted ?? [];
  if (deleted.length === 0) return { text: '', reclaimed: 0 };
  return { text: `Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`, reclaimed: report.SpaceReclaimed ?? 0 };
}

export function imagePruneOutcome(report: ImagePruneReport): PruneOutcome {
  const deleted = report.ImagesDeleted ?? [];
  if (deleted.length === 0) return { text: '', reclaimed: 0 };
  const lines = deleted.map((item) => (item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted ?? ''}\n`));
  return { text: `Deleted Images:\n${lines.join('')}\n`, reclaimed: report.SpaceReclaimed ?? 0 };
}

export function volumePruneOutcome(report: VolumePruneReport): PruneOutcome {
  const deleted = report.VolumesDeleted ?? [];
  if (deleted.length === 0) return { text: '', reclaimed: 0 };
  return { text: `Deleted Volumes:\n${deleted.map((name) => `${name}\n`).join('')}\n`, reclaimed: report.SpaceReclaimed ?? 0 };
}

export function reclaimedLine(bytes: number): string {
  return `Total reclaimed space: ${humanSize(bytes, 4)}\n`;
}
