import { hasAllLabels } from '../common/label-filter.js';
import { invalidArgument } from '../common/errors.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './container-paths.js';
import { humanDuration } from '../common/human-duration.js';
import { mountView } from '../volume/mount-point.js';
import type { Filters } from './types.js';

/** Docker's STATUS column: "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
export function statusText(record: ContainerRecord, now = Date.now()): string {
  const state = record.State;
  if (state.Running) {
    const up = `Up ${humanDuration(now - Date.parse(state.StartedAt))}`;
    if (state.Paused) return `${up} (Paused)`;
    const health = state.Health?.Status;
    return health === undefined ? up : health === 'starting' ? `${up} (health: starting)` : `${up} (${health})`;
  }
  if (state.Status === 'removing') return 'Removal In Progress';
  if (state.Status === 'dead') return 'Dead';
  if (state.Status === 'created') return 'Created';
  return `Exited (${state.ExitCode}) ${humanDuration(now - Date.parse(state.FinishedAt))} ago`;
}

/** docker's list Command: arguments with spaces are single-quoted. */
function commandLine(record: ContainerRecord): string {
  return [record.Path, ...record.Args.map((arg) => (arg.includes(' ') ? `'${arg}'` : arg))].join(' ');
}

export function containerSummary(record: ContainerRecord, sizes?: { rw: number; rootFs: number }): object {
  return {
    Id: record.Id,
    Names: [record.Name],
    Image: record.Config.Image,
    ImageID: record.Image,
    Command: commandLine(record),
    Created: Math.floor(Date.parse(record.Created) / 1000),
    Ports: [],
    Labels: record.Config.Labels,
    State: record.State.Status,
    Status: statusText(record),
    HostConfig: { NetworkMode: record.HostConfig.NetworkMode },
    NetworkSettings: { Networks: networks(record) },
    Mounts: mounts(record),
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
  };
}

function mounts(record: ContainerRecord): object[] {
  return (record.MountPoints ?? []).map(mountView);
}

function networks(record: ContainerRecord): Record<string, object> {
  const mode = record.HostConfig.NetworkMode;
  return {
    [mode]: {
      IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', NetworkID: '', EndpointID: '', Gateway: '',
      IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DriverOpts: null, DNSNames: null,
    },
  };
}

export function containerInspect(record: ContainerRecord, paths: ContainerPaths, sizes?: { rw: number; rootFs: number }): object {
  const { MonitorPid: _monitor, MountPoints: _mounts, ...visible } = record;
  const rootfs = `${paths.dir(record.Id)}/rootfs`;
  return {
    ...visible,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    GraphDriver: { Name: 'overlay2', Data: { MergedDir: `${rootfs}/merged`, UpperDir: `${rootfs}/upper`, WorkDir: `${rootfs}/work` } },
    Mounts: mounts(record),
    NetworkSettings: {
      Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, HairpinMode: false, LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '',
      Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '',
      MacAddress: '', Networks: networks(record),
    },
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
  };
}

const CONTAINER_FILTERS = new Set(['id', 'name', 'label', 'status', 'ancestor', 'exited', 'before', 'since', 'network', 'health', 'isolation', 'is-task', 'volume', 'publish', 'expose']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function validateContainerFilters(filters: Filters): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!CONTAINER_FILTERS.has(key)) throw invalidArgument(`invalid filter '${key}'`);
    if (key === 'status') {
      for (const value of values) {
        if (!STATUSES.has(value)) throw invalidArgument(`invalid filter 'status=${value}'`);
      }
    }
    if (key === 'health') {
      for (const value of values) {
        if (!['starting', 'healthy', 'unhealthy', 'none'].includes(value)) {
          throw invalidArgument(`Unrecognised filter value for health: ${value}`);
        }
      }
    }
    if (key === 'exited') {
      for (const value of values) {
        if (!/^-?\d+$/.test(value)) throw invalidArgument(`invalid filter 'exited=${value}'`);
      }
    }
  }
}

/**
 * Docker's container filters: values of one key are alternatives (OR), different
 * keys must all match (AND); `label` is the exception where every value must match.
 */
export function matchesContainerFilters(
  record: ContainerRecord,
  filters: Filters,
  find: (ref: string) => ContainerRecord,
  imageIdOf: (ref: string) => string | undefined,
): boolean {
  const any = (key: string, test: (value: string) => boolean): boolean => {
    const values = filters[key];
    return !values?.length || values.some(test);
  };
  const created = (ref: string): string | undefined => {
    try {
      return find(ref).Created;
    } catch {
      return undefined;
    }
  };
  return (
    any('id', (value) => record.Id.startsWith(value)) &&
    any('name', (value) => nameMatches(record.Name, value)) &&
    hasAllLabels(record.Config.Labels, filters.label ?? []) &&
    any('status', (value) => record.State.Status === value) &&
    any('exited', (value) => !record.State.Running && record.State.Status === 'exited' && record.State.ExitCode === Number(value)) &&
    any('ancestor', (value) => record.Config.Image === value || record.Image === imageIdOf(value) || record.Image.replace('sha256:', '').startsWith(value)) &&
    any('before', (value) => {
      const time = created(value);
      return time !== undefined && record.Created < time;
    }) &&
    any('since', (value) => {
      const time = created(value);
      return time !== undefined && record.Created > time;
    }) &&
    any('network', (value) => record.HostConfig.NetworkMode === value) &&
    any('health', (value) => (record.State.Health?.Status ?? 'none') === value) &&
    any('volume', (value) => (record.MountPoints ?? []).some((mount) => mount.Name === value || mount.Source === value || mount.Destination === value))
  );
}

/** Docker matches a name filter as a regular expression against `/name` and `name`; a bad pattern matches nothing. */
function nameMatches(name: string, pattern: string): boolean {
  let expression: RegExp;
  try {
    expression = new RegExp(pattern);
  } catch {
    return false;
  }
  return expression.test(name) || expression.test(name.slice(1));
}
