/**
 * A container's mounts from its create request, checked with docker's rules and words
 * (moby's volume/mounts linux parser): HostConfig.Binds (`-v`), HostConfig.Mounts
 * (`--mount`), HostConfig.Tmpfs (`--tmpfs`) and the volumes of Config.Volumes (`-v /path`
 * and the image's VOLUME). Pure: whether a host path exists is asked of the caller.
 */
import { posix } from 'node:path';
import { invalidArgument } from '../common/errors.js';
import type { MountPoint } from './mount-point.js';
import { mergeTmpfsOptions, parseTmpfsOptions, tmpfsOptionsFromApi } from './tmpfs-options.js';

export const DEFAULT_PROPAGATION = 'rprivate';

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** The mount of the API's HostConfig.Mounts (docker's mount.Mount). */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** A volume the container needs: created when missing, with these labels and driver. */
export interface VolumeWish {
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export interface PlannedMount {
  mount: MountPoint;
  /** Volumes only. */
  volume?: VolumeWish;
}

export interface MountRequest {
  binds: readonly string[];
  mounts: readonly ApiMount[];
  tmpfs: Readonly<Record<string, string>>;
  /** Config.Volumes: container paths that get an anonymous volume unless something else is mounted there. */
  volumes: readonly string[];
  /** Whether a host path exists (checked for --mount binds only, as docker does). */
  exists: (path: string) => boolean;
  /** A fresh 64-hex name for an anonymous volume. */
  newVolumeName: () => string;
  /** Mounts taken from other containers (--volumes-from): the container's own mounts win at the same destination. */
  inherited?: readonly MountPoint[];
}

/** docker 23+ marks the volumes it makes for one container, so prune takes only those by default. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Go's path.Clean: normalized, without a trailing slash. */
function cleanPath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

const invalidSpec = (raw: string): string => `invalid volume specification: '${raw}'`;
const mountConfigError = (type: string, reason: string): Error => new Error(`invalid mount config for type "${type}": ${reason}`);

function checkTarget(type: string, target: string | undefined): string {
  if (!target) throw mountConfigError(type, 'field Target must not be empty');
  if (cleanPath(target) === '/') throw mountConfigError(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
  return cleanPath(target);
}

interface ModeParts {
  readOnly: boolean;
  propagation?: string;
  noCopy: boolean;
}

/** moby's linuxValidMountMode: comma-separated, at most one of each kind. */
function parseMode(mode: string): ModeParts | undefined {
  if (mode === '') return { readOnly: false, noCopy: false };
  const counts = { rw: 0, label: 0, propagation: 0, copy: 0, consistency: 0 };
  const parts: ModeParts = { readOnly: false, noCopy: false };
  for (const option of mode.split(',')) {
    if (option === 'ro' || option === 'rw') {
      counts.rw++;
      parts.readOnly = option === 'ro';
    } else if (option === 'z' || option === 'Z') counts.label++;
    else if (PROPAGATIONS.has(option)) {
      counts.propagation++;
      parts.propagation = option;
    } else if (option === 'nocopy') {
      counts.copy++;
      parts.noCopy = true;
    } else if (option === 'consistent' || option === 'cached' || option === 'delegated') counts.consistency++;
    else return undefined;
  }
  return Object.values(counts).some((count) => count > 1) ? undefined : parts;
}

/** One `-v` spec: `/host:/ctr[:mode]` is a bind, `name:/ctr[:mode]` a named volume. */
export function parseBind(raw: string): PlannedMount {
  const parts = raw.split(':');
  if (parts.length > 3 || parts[0] === '') throw invalidArgument(invalidSpec(raw));
  let source = '';
  let target: string;
  let modeText = '';
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) {
    // A lone `/ctr:ro` would be a volume with a mode, which docker refuses.
    if (parseMode(parts[1]!) !== undefined) throw invalidArgument(invalidSpec(raw));
    [source, target] = parts as [string, string];
  } else [source, target, modeText] = parts as [string, string, string];
  const mode = parseMode(modeText);
  if (mode === undefined) throw invalidArgument(`invalid mode: ${modeText}`);
  const type = source.startsWith('/') ? 'bind' : 'volume';
  try {
    const destination = checkTarget(type, target);
    if (type === 'bind') {
      if (mode.noCopy) throw mountConfigError(type, 'field VolumeOptions must not be specified');
      return {
        mount: {
          Type: 'bind', Source: cleanPath(source), Destination: destination, Mode: modeText, RW: !mode.readOnly,
          Propagation: mode.propagation ?? DEFAULT_PROPAGATION, CreateSource: true,
        },
      };
    }
    if (mode.propagation !== undefined) throw mountConfigError(type, 'field BindOptions must not be specified');
    return {
      // docker shows the SELinux relabel mode "z" for a named volume given without a mode.
      mount: { Type: 'volume', Name: source, Source: '', Destination: destination, Driver: 'local', Mode: modeText || 'z', RW: !mode.readOnly, Propagation: '', CopyData: !mode.noCopy, Anonymous: source === '' },
      volume: { driver: 'local', labels: {}, options: {} },
    };
  } catch (error) {
    throw invalidArgument(`${invalidSpec(raw)}: ${(error as Error).message}`);
  }
}

/** One `--mount` (HostConfig.Mounts entry), checked as moby's validateMountConfig does. */
export function parseApiMount(spec: ApiMount, exists: (path: string) => boolean): PlannedMount {
  const type = spec.Type ?? '';
  try {
    const destination = checkTarget(type, spec.Target);
    const readOnly = spec.ReadOnly ?? false;
    switch (type) {
      case 'bind': {
        if (!spec.Source) throw mountConfigError(type, 'field Source must not be empty');
        const propagation = spec.BindOptions?.Propagation || DEFAULT_PROPAGATION;
        if (!PROPAGATIONS.has(propagation)) throw mountConfigError(type, `invalid propagation mode: ${propagation}`);
        if (spec.VolumeOptions) throw mountConfigError(type, 'field VolumeOptions must not be specified');
        if (!spec.Source.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${spec.Source}' mount path must be absolute`);
        if (!exists(spec.Source)) throw mountConfigError(type, `bind source path does not exist: ${spec.Source}`);
        return { mount: { Type: 'bind', Source: cleanPath(spec.Source), Destination: destination, Mode: '', RW: !readOnly, Propagation: propagation } };
      }
      case 'volume': {
        if (spec.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
        if (readOnly && !spec.Source) throw mountConfigError(type, 'must not set ReadOnly mode when using anonymous volumes');
        const options = spec.VolumeOptions ?? {};
        return {
          mount: {
            Type: 'volume', Name: spec.Source ?? '', Source: '', Destination: destination, Driver: options.DriverConfig?.Name || 'local',
            Mode: '', RW: !readOnly, Propagation: '', CopyData: !options.NoCopy, Anonymous: !spec.Source,
          },
          volume: { driver: options.DriverConfig?.Name || 'local', labels: options.Labels ?? {}, options: options.DriverConfig?.Options ?? {} },
        };
      }
      case 'tmpfs': {
        if (spec.BindOptions) throw mountConfigError(type, 'field BindOptions must not be specified');
        if (spec.Source) throw mountConfigError(type, 'field Source must not be specified');
        const tmpfsOptions = tmpfsOptionsFromApi(spec.TmpfsOptions ?? undefined, readOnly);
        return { mount: { Type: 'tmpfs', Source: '', Destination: destination, Mode: '', RW: !readOnly, Propagation: '', TmpfsOptions: tmpfsOptions } };
      }
      default:
        throw mountConfigError(type, 'mount type unknown');
    }
  } catch (error) {
    throw invalidArgument((error as Error).message, error);
  }
}

/** One `--tmpfs /path[:options]` (a HostConfig.Tmpfs entry). */
export function parseTmpfs(target: string, options: string): PlannedMount {
  let destination: string;
  try {
    destination = checkTarget('tmpfs', target);
  } catch (error) {
    throw invalidArgument((error as Error).message.replace(/^invalid mount config for type "tmpfs": /, ''));
  }
  const parsed = parseTmpfsOptions(options);
  const readOnly = mergeTmpfsOptions(parsed).includes('ro');
  return { mount: { Type: 'tmpfs', Source: '', Destination: destination, Mode: '', RW: !readOnly, Propagation: '', TmpfsOptions: parsed } };
}

function anonymousVolume(destination: string, name: string): PlannedMount {
  return {
    mount: { Type: 'volume', Name: name, Source: '', Destination: destination, Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Anonymous: true },
    volume: { driver: 'local', labels: { [ANONYMOUS_LABEL]: '' }, options: {} },
  };
}

/**
 * Every mount of a new container, in docker's order of precedence: binds, then --mount,
 * then tmpfs; a destination given twice is refused. Config.Volumes paths no other mount
 * covers become anonymous volumes. Anonymous volumes get their names here.
 */
export function planMounts(request: MountRequest): PlannedMount[] {
  const planned: PlannedMount[] = [];
  const destinations = new Set<string>();
  const add = (entry: PlannedMount): void => {
    if (destinations.has(entry.mount.Destination)) throw invalidArgument(`Duplicate mount point: ${entry.mount.Destination}`);
    destinations.add(entry.mount.Destination);
    planned.push(entry);
  };
  for (const raw of request.binds) add(parseBind(raw));
  for (const spec of request.mounts) add(parseApiMount(spec, request.exists));
  for (const [target, options] of Object.entries(request.tmpfs)) add(parseTmpfs(target, options));
  for (const entry of planned) {
    if (entry.mount.Type === 'volume' && entry.mount.Name === '') {
      entry.mount.Name = request.newVolumeName();
      entry.volume!.labels = { ...entry.volume!.labels, [ANONYMOUS_LABEL]: '' };
    }
  }
  for (const mount of request.inherited ?? []) {
    if (destinations.has(mount.Destination)) continue;
    destinations.add(mount.Destination);
    planned.push({ mount: { ...mount } });
  }
  for (const path of request.volumes) {
    let destination: string;
    try {
      destination = checkTarget('volume', path);
    } catch (error) {
      throw invalidArgument(`${invalidSpec(path)}: ${(error as Error).message}`);
    }
    if (destinations.has(destination)) continue;
    destinations.add(destination);
    planned.push(anonymousVolume(destination, request.newVolumeName()));
  }
  return planned;
}
