/** Rows of `volume ls`: docker's volumeContext fields, sorted by name as docker's CLI does. */
import type { ListFormat, Row } from './formatter.js';
import { humanSize } from './units.js';

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Scope?: string;
  Mountpoint?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

const HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Label: 'LABEL',
  Links: 'LINKS',
  Size: 'SIZE',
};

export function volumesFormat(format: string | undefined): ListFormat {
  return { format, defaultFormat: 'table {{.Driver}}\t{{.Name}}', headers: HEADERS, typeName: '*formatter.volumeContext' };
}

/** Go's sortorder.NaturalLess: runs of digits compare as numbers. */
export function naturalLess(a: string, b: string): number {
  const parts = (text: string): string[] => text.match(/\d+|\D+/g) ?? [];
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const difference = Number(x) - Number(y);
      if (difference !== 0) return difference;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

export function volumeRows(volumes: VolumeSummary[]): Row[] {
  return [...volumes].sort((a, b) => naturalLess(a.Name, b.Name)).map((volume) => ({
    Name: () => volume.Name,
    Driver: () => volume.Driver,
    Scope: () => volume.Scope ?? '',
    Mountpoint: () => volume.Mountpoint ?? '',
    Labels: () => Object.entries(volume.Labels ?? {}).map(([key, value]) => `${key}=${value}`).join(','),
    Label: (name: unknown) => (volume.Labels ?? {})[String(name)] ?? '',
    Links: () => (volume.UsageData && volume.UsageData.RefCount >= 0 ? String(volume.UsageData.RefCount) : 'N/A'),
    Size: () => (volume.UsageData && volume.UsageData.Size >= 0 ? humanSize(volume.UsageData.Size) : 'N/A'),
  }));
}
