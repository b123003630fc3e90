/**
 * Generates an OCI runtime spec (config.json) from what the engine decided about a
 * container. Pure: no file system, no processes, so every rule here is unit-tested.
 */
import type { OciSeccomp } from './seccomp.js';

export interface ResourceLimits {
  memory?: number; // bytes, 0 = unlimited
  memorySwap?: number; // bytes of memory+swap, -1 = unlimited swap
  memoryReservation?: number;
  disableOomKiller?: boolean;
  cpuShares?: number;
  cpuQuota?: number; // microseconds per period
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number; // > 0 limits, <= 0 unlimited
  /** 0-100; undefined leaves the kernel's default. */
  swappiness?: number;
  /** 10-1000; undefined leaves the kernel's default. */
  blkioWeight?: number;
  /** Per-device weights and throttles (docker's --blkio-weight-device, --device-read-bps, ...). */
  blkioWeightDevices?: DeviceWeight[];
  throttleReadBps?: DeviceRate[];
  throttleWriteBps?: DeviceRate[];
  throttleReadIops?: DeviceRate[];
  throttleWriteIops?: DeviceRate[];
}

export interface DeviceRate {
  major: number;
  minor: number;
  rate: number;
}

export interface DeviceWeight {
  major: number;
  minor: number;
  weight: number;
}

/** A device cgroup rule (docker's --device-cgroup-rule); an absent major or minor is any. */
export interface DeviceRule {
  type: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access: string;
}

/** A namespace of the container's own, the host's, or another process's (by its /proc/<pid>/ns path). */
export type NamespaceChoice = 'private' | 'host' | { path: string };

/** A host device made available in the container (docker's --device). */
export interface SpecDevice {
  /** Path inside the container. */
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
  /** The device cgroup access docker calls permissions: some of r, w, m. */
  access: string;
}

export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface ConsoleSize {
  height: number;
  width: number;
}

/** The OCI consoleSize for a docker `ConsoleSize` of [height, width], when it is a real size. */
export function consoleSize(size: unknown): ConsoleSize | undefined {
  if (!Array.isArray(size) || size.length !== 2) return undefined;
  const [height, width] = size as unknown[];
  if (typeof height !== 'number' || typeof width !== 'number' || height <= 0 || width <= 0) return undefined;
  return { height, width };
}

export interface Rlimit {
  type: string; // RLIMIT_NOFILE ...
  soft: number;
  hard: number;
}

export interface SpecInput {
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: ProcessUser;
  terminal: boolean;
  /** Initial size of the pty, so the first program sees the client's size, not 0x0. */
  consoleSize?: ConsoleSize;
  hostname: string;
  capabilities: string[];
  privileged: boolean;
  /** 'none' = own network namespace with only loopback, 'host' = the host's. */
  network: 'none' | 'host' | { path: string };
  /** The other namespaces that may be shared; each is the container's own when left out. */
  namespaces?: { pid?: NamespaceChoice; ipc?: NamespaceChoice; uts?: 'private' | 'host'; cgroup?: 'private' | 'host' };
  /** docker's --ipc none: an IPC namespace of its own and no /dev/shm at all. */
  noShm?: boolean;
  /** Namespaced kernel parameters (docker's --sysctl), already validated. */
  sysctls?: Record<string, string>;
  devices?: SpecDevice[];
  /** Allowed on top of docker's defaults. */
  deviceRules?: DeviceRule[];
  /** The paths to mask and to make read-only, where the client chose them (docker's systempaths=unconfined: none). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** The domain name of the container's UTS namespace (docker's --domainname). */
  domainname?: string;
  /** OCI annotations (the API's HostConfig.Annotations). */
  annotations?: Record<string, string>;
  cgroupsPath: string;
  resources: ResourceLimits;
  /** Bind mounts of the generated /etc files and the user's mounts; one at a default mount's destination replaces it. */
  mounts: SpecMount[];
  /** The root's mount propagation, when a shared or slave bind needs it. */
  rootfsPropagation?: string;
  shmSize: number;
  rlimits: Rlimit[];
  noNewPrivileges: boolean;
  /** The resolved system call filter; none when unconfined or privileged. */
  seccomp?: OciSeccomp;
  oomScoreAdj?: number;
  /** Whether the host kernel accounts swap for cgroups (memsw); without it swap limits are dropped. */
  swapAccounting: boolean;
}

/** Docker's masked paths (moby oci/defaults.go): hidden from unprivileged containers. */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths. */
export const READONLY_PATHS: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

function defaultMounts(shmSize: number, privileged: boolean, withShm: boolean): SpecMount[] {
  const mounts: SpecMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (withShm) mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] });
  return mounts;
}

/** Docker's default device cgroup rules: deny all, then the usual character devices. */
function deviceRules(privileged: boolean, devices: SpecDevice[], rules: DeviceRule[]): object[] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  const allow = (type: string, major: number | undefined, minor: number | undefined, access = 'rwm'): object => ({
    allow: true, type, ...(major === undefined ? {} : { major }), ...(minor === undefined ? {} : { minor }), access,
  });
  return [
    { allow: false, access: 'rwm' },
    allow('c', undefined, undefined, 'm'),
    allow('b', undefined, undefined, 'm'),
    allow('c', 1, 3), allow('c', 1, 5), allow('c', 1, 7), allow('c', 1, 8), allow('c', 1, 9),
    allow('c', 5, 0), allow('c', 5, 1), allow('c', 5, 2), allow('c', 136, undefined), allow('c', 10, 200),
    ...devices.map((device) => allow(device.type, device.major, device.minor, device.access)),
    ...rules.map((rule) => allow(rule.type, rule.major, rule.minor, rule.access)),
  ];
}

function linuxResources(input: SpecInput): Record<string, unknown> {
  const r = input.resources;
  const memory: Record<string, unknown> = {};
  if (r.memory && r.memory > 0) memory.limit = r.memory;
  if (r.memoryReservation && r.memoryReservation > 0) memory.reservation = r.memoryReservation;
  if (input.swapAccounting && r.memorySwap !== undefined && r.memorySwap !== 0) memory.swap = r.memorySwap;
  if (r.disableOomKiller) memory.disableOOMKiller = true;
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (r.swappiness !== undefined) memory.swappiness = r.swappiness;
  const resources: Record<string, unknown> = { devices: deviceRules(input.privileged, input.devices ?? [], input.deviceRules ?? []) };
  const blockIO: Record<string, unknown> = {};
  if (r.blkioWeight !== undefined) blockIO.weight = r.blkioWeight;
  if (r.blkioWeightDevices?.length) blockIO.weightDevice = r.blkioWeightDevices;
  if (r.throttleReadBps?.length) blockIO.throttleReadBpsDevice = r.throttleReadBps;
  if (r.throttleWriteBps?.length) blockIO.throttleWriteBpsDevice = r.throttleWriteBps;
  if (r.throttleReadIops?.length) blockIO.throttleReadIOPSDevice = r.throttleReadIops;
  if (r.throttleWriteIops?.length) blockIO.throttleWriteIOPSDevice = r.throttleWriteIops;
  if (Object.keys(blockIO).length) resources.blockIO = blockIO;
  if (Object.keys(memory).length) resources.memory = memory;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  return resources;
}

export function buildSpec(input: SpecInput): Record<string, unknown> {
  const shared = input.namespaces ?? {};
  const namespaces: { type: string; path?: string }[] = [{ type: 'mount' }];
  // A namespace left out of the list is the runtime's own, which is the host's.
  const add = (type: string, choice: NamespaceChoice): void => {
    if (choice === 'private') namespaces.push({ type });
    else if (choice !== 'host') namespaces.push({ type, path: choice.path });
  };
  add('pid', shared.pid ?? 'private');
  add('ipc', shared.ipc ?? 'private');
  add('uts', shared.uts ?? 'private');
  add('cgroup', shared.cgroup ?? 'private');
  add('network', input.network === 'none' ? 'private' : input.network);

  const caps = input.capabilities;
  const process: Record<string, unknown> = {
    terminal: input.terminal,
    user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
    args: input.args,
    env: input.env,
    cwd: input.cwd,
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: input.noNewPrivileges,
  };
  if (input.terminal && input.consoleSize) process.consoleSize = input.consoleSize;
  if (input.rlimits.length) process.rlimits = input.rlimits;
  if (input.oomScoreAdj !== undefined) process.oomScoreAdj = input.oomScoreAdj;

  // A privileged container sees /sys and /proc unmasked and may write them, as with docker.
  const linux: Record<string, unknown> = {
    namespaces,
    cgroupsPath: input.cgroupsPath,
    resources: linuxResources(input),
  };
  if (input.rootfsPropagation) linux.rootfsPropagation = input.rootfsPropagation;
  if (!input.privileged) {
    linux.maskedPaths = [...(input.maskedPaths ?? MASKED_PATHS)];
    linux.readonlyPaths = [...(input.readonlyPaths ?? READONLY_PATHS)];
  }
  if (input.seccomp) linux.seccomp = input.seccomp;
  if (input.sysctls && Object.keys(input.sysctls).length) linux.sysctl = { ...input.sysctls };
  if (input.devices?.length) {
    linux.devices = input.devices.map(({ path, type, major, minor, fileMode, uid, gid }) => ({ path, type, major, minor, fileMode, uid, gid }));
  }

  const userDestinations = new Set(input.mounts.map((mount) => mount.destination));
  return {
    ociVersion: '1.0.2',
    process,
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    // Without a UTS namespace of its own the container cannot have a name of its own.
    ...(shared.uts === 'host' ? {} : { hostname: input.hostname, ...(input.domainname ? { domainname: input.domainname } : {}) }),
    ...(input.annotations && Object.keys(input.annotations).length ? { annotations: { ...input.annotations } } : {}),
    mounts: [...defaultMounts(input.shmSize, input.privileged, !input.noShm).filter((mount) => !userDestinations.has(mount.destination)), ...input.mounts],
    linux,
  };
}
