import { invalidArgument } from '../common/errors.js';
import type { HostFacts } from '../runtime/host-facts.js';
import type { DeviceRule } from '../runtime/oci-spec.js';
import type { HostConfig } from './container-record.js';

/**
 * Checks of the HostConfig settings beyond memory and CPU time: namespace modes,
 * sysctls, devices, cpusets, and the fields berth does not implement. dockerd
 * rejects what it cannot honour; so does berth, in dockerd's words where dockerd
 * has them, instead of running a container without what the user asked for.
 */


const NAMESPACED_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

/** Settings no client needs on Linux, or that berth takes as dockerd's defaults. */
function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Fields of HostConfig berth does not implement yet, with what a user sees when one is asked for. */
const UNSUPPORTED: [field: string, flag: string][] = [
  ['CpuRealtimePeriod', '--cpu-rt-period'],
  ['CpuRealtimeRuntime', '--cpu-rt-runtime'],
  ['DeviceRequests', '--gpus'],
  ['VolumeDriver', '--volume-driver'],
  ['StorageOpt', '--storage-opt'],
];

/** Parses the kernel's CPU list form ("0-3,8") into the set of numbers it names; undefined when malformed. */
export function parseCpuList(list: string): Set<number> | undefined {
  const result = new Set<number>();
  for (const part of list.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    for (let n = first; n <= last; n++) result.add(n);
  }
  return result;
}

function checkCpuset(requested: string, available: string, what: { invalid: string; unavailable: string }): void {
  const wanted = parseCpuList(requested);
  if (!wanted) throw invalidArgument(`Invalid value ${requested} for ${what.invalid}`);
  const offered = parseCpuList(available) ?? new Set<number>();
  if ([...wanted].some((n) => !offered.has(n))) {
    throw invalidArgument(`Requested ${what.unavailable} are not available - requested ${requested}, available: ${available}`);
  }
}

/** A namespace mode of docker's forms: '', the named ones, or container:<name|id>. */
function checkMode(value: string, allowed: string[], label: string, joinable: boolean): void {
  if (value === '' || allowed.includes(value)) return;
  if (joinable && value.startsWith('container:') && value.length > 'container:'.length) return;
  throw invalidArgument(`invalid ${label} mode: ${value}`);
}

/** The container a `container:<ref>` mode names, or undefined. */
export function joinedContainer(mode: string | undefined): string | undefined {
  return mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

/** The per-device block I/O limits of HostConfig, with the words docker uses when the kernel lacks them. */
export const DEVICE_THROTTLES = [
  { field: 'BlkioDeviceReadBps', kind: 'BPS', direction: 'read' },
  { field: 'BlkioDeviceWriteBps', kind: 'BPS', direction: 'write' },
  { field: 'BlkioDeviceReadIOps', kind: 'IOPs', direction: 'read' },
  { field: 'BlkioDeviceWriteIOps', kind: 'IOPs', direction: 'write' },
] as const;

/** docker's --device-cgroup-rule form: `c 1:3 rwm`, `b 8:* r`, `a *:* m`. */
export function parseDeviceRule(text: string): DeviceRule {
  const match = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(text);
  if (!match) throw invalidArgument(`invalid device cgroup format '${text}'`);
  const number = (value: string): number | undefined => (value === '*' ? undefined : Number(value));
  return { type: match[1] as DeviceRule['type'], major: number(match[2]!), minor: number(match[3]!), access: match[4]! };
}

/** docker's rules for --sysctl: only namespaced keys, and none of a namespace shared with the host. */
export function checkSysctls(sysctls: Record<string, string>, shared: { network: boolean; ipc: boolean; uts: boolean }): void {
  for (const key of Object.keys(sysctls)) {
    const ipc = NAMESPACED_SYSCTLS.has(key) || key.startsWith('fs.mqueue.');
    const net = key.startsWith('net.');
    const uts = key === 'kernel.domainname' || key === 'kernel.hostname';
    if (!ipc && !net && !uts) throw invalidArgument(`sysctl "${key}" is not in a separate kernel namespace`);
    if (key === 'kernel.hostname') throw invalidArgument(`sysctl "${key}" is not allowed: use --hostname`);
    if ((ipc && shared.ipc) || (net && shared.network) || (uts && shared.uts)) {
      const namespace = ipc ? 'IPC' : net ? 'network' : 'UTS';
      throw invalidArgument(`sysctl "${key}" is not allowed in the host's ${namespace} namespace`);
    }
  }
}

/** The json-file options berth reads a log with either way; the others change how it is kept. */
const HARMLESS_LOG_OPTIONS = new Set(['labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size']);

/**
 * The logging driver: berthd keeps every container's output in one log file that
 * reads back as json-file's does. `none` (often set in compose files to spare the
 * disk) and rotation options are taken with a warning that says what happens
 * instead, since refusing them would stop those projects; drivers that send logs
 * elsewhere (syslog, journald, fluentd, ...) are refused.
 */
export function checkLogConfig(config: HostConfig['LogConfig'] | undefined): string[] {
  const driver = config?.Type ?? '';
  if (driver === 'none') return ['The none logging driver is not implemented: berth keeps the container\'s output in its log file'];
  if (!['', 'json-file', 'local'].includes(driver)) {
    throw invalidArgument(`berth does not support the ${driver} logging driver yet: logs are kept as json-file's (json-file, local)`);
  }
  const ignored = Object.keys(config?.Config ?? {}).filter((option) => !HARMLESS_LOG_OPTIONS.has(option)).sort();
  return ignored.length ? [`Log options ${ignored.join(', ')} are not applied yet: berth keeps the whole log, without rotation`] : [];
}

/**
 * The checks of the settings `docker update` can change too (cpusets, block I/O
 * weight), against what the host has; a weight the kernel cannot apply is
 * discarded with docker's warning.
 */
export function checkUpdatableResources(hostConfig: HostConfig, facts: HostFacts): string[] {
  if (hostConfig.CpusetCpus) checkCpuset(hostConfig.CpusetCpus, facts.onlineCpus, { invalid: 'cpuset cpus', unavailable: 'CPUs' });
  const mems = String(hostConfig.CpusetMems ?? '');
  if (mems) checkCpuset(mems, facts.onlineMems, { invalid: 'cpuset mems', unavailable: 'memory nodes' });
  const weight = Number(hostConfig.BlkioWeight ?? 0);
  if (weight <= 0) return [];
  if (weight < 10 || weight > 1000) throw invalidArgument('Range of blkio weight is from 10 to 1000');
  if (facts.blkioWeight) return [];
  hostConfig.BlkioWeight = 0;
  return ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.'];
}

/**
 * Validates the settings of hostConfig this module owns, normalising what docker
 * normalises; returns docker's warnings for settings the host cannot apply.
 */
export function checkHostOptions(hostConfig: HostConfig, facts: HostFacts): string[] {
  const warnings: string[] = [];
  for (const [field, flag] of UNSUPPORTED) {
    if (!isUnset(hostConfig[field])) throw invalidArgument(`berth does not support ${field} (${flag}) yet`);
  }
  const cgroupParent = String(hostConfig.CgroupParent ?? '');
  if (cgroupParent.endsWith('.slice')) throw invalidArgument(`invalid cgroup parent ${cgroupParent}: berthd uses the cgroupfs driver, which takes a path such as /mygroup, not a systemd slice`);
  if (cgroupParent.split('/').some((part) => part === '..' || part === '.') || !/^[\w./@:-]*$/.test(cgroupParent)) {
    throw invalidArgument(`invalid cgroup parent ${cgroupParent}: a path of plain names`);
  }
  const isolation = String(hostConfig.Isolation ?? '');
  if (isolation !== '' && isolation !== 'default') throw invalidArgument(`Invalid isolation: "${isolation}" - linux only supports 'default'`);
  const pidMode = String(hostConfig.PidMode ?? '');
  const ipcMode = String(hostConfig.IpcMode ?? '');
  const utsMode = String(hostConfig.UTSMode ?? '');
  const cgroupnsMode = String(hostConfig.CgroupnsMode ?? '');
  const usernsMode = String(hostConfig.UsernsMode ?? '');
  checkMode(pidMode, ['host'], 'PID', true);
  checkMode(ipcMode, ['host', 'private', 'shareable', 'none'], 'IPC', true);
  checkMode(utsMode, ['host'], 'UTS', false);
  checkMode(cgroupnsMode, ['host', 'private'], 'cgroup namespace', false);
  // Containers share the host's user namespace already; remapping is not implemented.
  if (usernsMode !== '' && usernsMode !== 'host') throw invalidArgument(`berth does not support UsernsMode ${usernsMode} (--userns) yet`);

  const sysctls = (hostConfig.Sysctls ?? {}) as Record<string, string>;
  checkSysctls(sysctls, { network: hostConfig.NetworkMode === 'host', ipc: ipcMode === 'host', uts: utsMode === 'host' });

  warnings.push(...checkUpdatableResources(hostConfig, facts));

  const oomScoreAdj = Number(hostConfig.OomScoreAdj ?? 0);
  if (!Number.isInteger(oomScoreAdj) || oomScoreAdj < -1000 || oomScoreAdj > 1000) {
    throw invalidArgument(`Invalid value ${hostConfig.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  const swappiness = hostConfig.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1) {
    if (typeof swappiness !== 'number' || !Number.isInteger(swappiness) || swappiness < 0 || swappiness > 100) {
      throw invalidArgument(`Invalid value: ${String(swappiness)}, valid memory swappiness range is 0-100`);
    }
    if (!facts.swappiness) {
      warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
      hostConfig.MemorySwappiness = null;
    }
  }
  const devices = (hostConfig.Devices ?? []) as { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }[];
  for (const device of devices) {
    if (!device.PathOnHost?.startsWith('/')) throw invalidArgument(`invalid device path ${device.PathOnHost ?? ''}: it must be absolute`);
    if (device.PathInContainer && !device.PathInContainer.startsWith('/')) {
      throw invalidArgument(`invalid device path in container ${device.PathInContainer}: it must be absolute`);
    }
    if (device.CgroupPermissions && !/^[rwm]{1,3}$/.test(device.CgroupPermissions)) {
      throw invalidArgument(`invalid device mode: ${device.CgroupPermissions}`);
    }
  }
  // docker-compose adds links to a service's dependencies on its own, so they are dropped with a warning, not refused:
  // they name the other containers on docker's default bridge network, which berth does not have.
  if (!isUnset(hostConfig.Links)) {
    warnings.push('Links are discarded: they need the default bridge network, which berth does not provide yet');
    hostConfig.Links = null;
  }
  for (const rule of (hostConfig.DeviceCgroupRules ?? []) as string[]) parseDeviceRule(rule);
  for (const { field, kind, direction } of DEVICE_THROTTLES) {
    const limits = (hostConfig[field] ?? []) as { Path?: string; Rate?: number }[];
    for (const limit of limits) {
      if (!limit.Path?.startsWith('/')) throw invalidArgument(`invalid device path ${limit.Path ?? ''} for ${field}: it must be absolute`);
      if (!Number.isInteger(limit.Rate) || limit.Rate! < 0) throw invalidArgument(`invalid rate ${String(limit.Rate)} for device ${limit.Path}`);
    }
    if (limits.length && !facts.blkioThrottle) {
      warnings.push(`Your kernel does not support ${kind} Block I/O ${direction} limit or the cgroup is not mounted. Block I/O ${kind} ${direction} limit discarded.`);
      hostConfig[field] = [];
    }
  }
  const weightDevices = (hostConfig.BlkioWeightDevice ?? []) as { Path?: string; Weight?: number }[];
  for (const entry of weightDevices) {
    if (!entry.Path?.startsWith('/')) throw invalidArgument(`invalid device path ${entry.Path ?? ''} for BlkioWeightDevice: it must be absolute`);
    if (!Number.isInteger(entry.Weight) || entry.Weight! < 10 || entry.Weight! > 1000) throw invalidArgument('Range of blkio weight is from 10 to 1000');
  }
  if (weightDevices.length && !facts.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    hostConfig.BlkioWeightDevice = [];
  }
  warnings.push(...checkLogConfig(hostConfig.LogConfig));
  const portBindings = (hostConfig.PortBindings ?? {}) as Record<string, unknown>;
  if (Object.keys(portBindings).length || hostConfig.PublishAllPorts) {
    if (hostConfig.NetworkMode === 'host') {
      warnings.push('Published ports are discarded when using host network mode');
      hostConfig.PortBindings = {};
      hostConfig.PublishAllPorts = false;
    } else {
      throw invalidArgument('berth does not publish ports yet: containers have no bridge network (use --network host to serve on the host\'s ports)');
    }
  }
  return warnings;
}
