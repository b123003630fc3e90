import { mkdir } from 'node:fs/promises';
import { buildSpec, consoleSize, type DeviceRate, type DeviceWeight, type NamespaceChoice, type SpecMount } from '../runtime/oci-spec.js';
import type { CgroupLayout } from '../runtime/cgroup-layout.js';
import type { SeccompHost } from '../runtime/seccomp-host.js';
import { containerSeccomp } from './container-seccomp.js';
import { cpuQuotaFromNanoCpus, mergeEnv, processArgs } from './create-config.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './container-paths.js';
import { rootfsPropagation, sortByDepth, specMount } from './container-mounts.js';
import { resolveInRoot } from './path-in-root.js';
import { shareableShmPath } from './shareable-shm.js';
import { invalidArgument } from '../common/errors.js';
import { currentHardLimits, toRlimits } from './process-limits.js';
import { parseSecurityOpts } from './security-opts.js';
import { blockDeviceNumbers, hostDevices, resolveDevices, type DeviceMapping } from './host-devices.js';
import { DEVICE_THROTTLES, joinedContainer, parseDeviceRule } from './host-options.js';
import { resolveGroups, resolveUser } from './user.js';

/** docker's --init: tini, static so it runs in any image, where docker puts its docker-init. */
export const INIT_BINARY = '/usr/bin/tini-static';
const INIT_IN_CONTAINER = '/sbin/docker-init';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function bindMount(source: string, destination: string, readonly = false): SpecMount {
  return { destination, type: 'bind', source, options: ['rbind', 'rprivate', readonly ? 'ro' : 'rw'] };
}

/**
 * The cgroup of a container (cgroupfs driver), under every v1 hierarchy or the v2
 * root: under /berth, or under the parent the user gave with --cgroup-parent (taken
 * from the root of the hierarchy, as docker's cgroupfs driver takes an absolute one).
 */
export function containerCgroupPath(record: Pick<ContainerRecord, 'Id' | 'HostConfig'>): string {
  const parent = String(record.HostConfig.CgroupParent ?? '').replace(/^\/+|\/+$/g, '');
  return `/${parent || 'berth'}/${record.Id}`;
}

/** The environment a container's process starts with, docker's additions included. */
export function containerEnv(record: ContainerRecord, home: string): string[] {
  const base = [DEFAULT_PATH, `HOSTNAME=${record.Config.Hostname}`];
  if (record.Config.Tty) base.push('TERM=xterm');
  const env = mergeEnv(base, record.Config.Env);
  if (!env.some((entry) => entry.startsWith('HOME='))) env.push(`HOME=${home}`);
  return env;
}

/** The generated /etc files, except where the user mounts something of their own (docker allows that), then the user's mounts. */
function containerMounts(record: ContainerRecord, paths: ContainerPaths): SpecMount[] {
  const user = record.MountPoints ?? [];
  const covered = new Set(user.map((mount) => mount.Destination));
  const etcFiles = [
    bindMount(paths.hostname(record.Id), '/etc/hostname'),
    bindMount(paths.hosts(record.Id), '/etc/hosts'),
    bindMount(paths.resolvConf(record.Id), '/etc/resolv.conf'),
  ];
  return sortByDepth([...etcFiles.filter((mount) => !covered.has(mount.destination)), ...user.map(specMount)]);
}

/** The running container a `container:<ref>` mode joins; throws docker's error when there is none. */
export type JoinTarget = (ref: string, namespace: 'PID' | 'IPC') => ContainerRecord;

/** The PID and IPC namespaces of a container, and the /dev/shm that goes with its IPC mode. */
function sharedNamespaces(record: ContainerRecord, paths: ContainerPaths, join: JoinTarget): {
  pid: NamespaceChoice; ipc: NamespaceChoice; shm?: SpecMount; noShm: boolean;
} {
  const host = record.HostConfig;
  const pidMode = String(host.PidMode ?? '');
  const ipcMode = String(host.IpcMode ?? '');
  const pidTarget = joinedContainer(pidMode);
  const ipcTarget = joinedContainer(ipcMode);
  const pid: NamespaceChoice = pidMode === 'host' ? 'host' : pidTarget ? { path: `/proc/${join(pidTarget, 'PID').State.Pid}/ns/pid` } : 'private';
  const hostIpc = { pid, ipc: 'host' as const, shm: bindMount('/dev/shm', '/dev/shm'), noShm: false };
  if (ipcMode === 'host') return hostIpc;
  if (ipcMode === 'shareable') return { pid, ipc: 'private', shm: bindMount(shareableShmPath(paths.dir(record.Id)), '/dev/shm'), noShm: false };
  if (ipcTarget) {
    const donor = join(ipcTarget, 'IPC');
    const donorMode = String(donor.HostConfig.IpcMode ?? '');
    if (donorMode === 'host') return hostIpc;
    if (donorMode !== 'shareable') {
      throw invalidArgument(`container ${donor.Id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    return { pid, ipc: { path: `/proc/${donor.State.Pid}/ns/ipc` }, shm: bindMount(shareableShmPath(paths.dir(donor.Id)), '/dev/shm'), noShm: false };
  }
  return { pid, ipc: 'private', noShm: ipcMode === 'none' };
}

/** The per-device block I/O weights and limits of a HostConfig, with the devices' numbers read from the host. */
export async function blockIoDevices(host: ContainerRecord['HostConfig']): Promise<{ weights: DeviceWeight[]; throttles: DeviceRate[][] }> {
  const weights = await Promise.all(((host.BlkioWeightDevice ?? []) as { Path: string; Weight: number }[]).map(
    async ({ Path, Weight }) => ({ ...(await blockDeviceNumbers(Path)), weight: Weight }),
  ));
  const throttles = await Promise.all(DEVICE_THROTTLES.map(({ field }) => Promise.all(((host[field] ?? []) as { Path: string; Rate: number }[]).map(
    async ({ Path, Rate }) => ({ ...(await blockDeviceNumbers(Path)), rate: Rate }),
  ))));
  return { weights, throttles };
}

/** Builds the OCI spec of a container whose rootfs is mounted at `rootfs`. */
export async function containerSpec(
  record: ContainerRecord,
  rootfs: string,
  paths: ContainerPaths,
  cgroups: CgroupLayout,
  seccompHost: SeccompHost,
  capabilities: string[],
  joinTarget: JoinTarget,
): Promise<Record<string, unknown>> {
  const host = record.HostConfig;
  const namespaces = sharedNamespaces(record, paths, joinTarget);
  const [user, extraGids, requestedDevices, allDevices, blockIo] = await Promise.all([
    resolveUser(rootfs, record.Config.User),
    resolveGroups(rootfs, (host.GroupAdd ?? []) as string[]),
    resolveDevices((host.Devices ?? []) as DeviceMapping[]),
    host.Privileged ? hostDevices() : [],
    blockIoDevices(host),
  ]);
  const [readBps, writeBps, readIops, writeIops] = blockIo.throttles;
  const devices = [...allDevices.filter((device) => !requestedDevices.some((wanted) => wanted.path === device.path)), ...requestedDevices];
  const cwd = record.Config.WorkingDir || '/';
  // Docker creates a missing working directory; resolved inside the rootfs so a link cannot point it outside.
  await mkdir(await resolveInRoot(rootfs, cwd), { recursive: true });
  const hostNetwork = host.NetworkMode === 'host';
  let quota = host.CpuQuota;
  let period = host.CpuPeriod;
  if (host.NanoCpus > 0) ({ quota, period } = cpuQuotaFromNanoCpus(host.NanoCpus));
  const propagation = rootfsPropagation(record.MountPoints ?? []);
  return buildSpec({
    rootfs,
    readonlyRootfs: host.ReadonlyRootfs,
    args: host.Init ? [INIT_IN_CONTAINER, '--', ...processArgs(record.Config)] : processArgs(record.Config),
    env: containerEnv(record, user.home),
    cwd,
    user: { uid: user.uid, gid: user.gid, additionalGids: [...new Set([...user.additionalGids, ...extraGids])] },
    terminal: record.Config.Tty,
    consoleSize: consoleSize(host.ConsoleSize),
    hostname: record.Config.Hostname,
    capabilities,
    privileged: host.Privileged,
    network: hostNetwork ? 'host' : 'none',
    namespaces: {
      pid: namespaces.pid,
      ipc: namespaces.ipc,
      uts: host.UTSMode === 'host' ? 'host' : 'private',
      cgroup: host.CgroupnsMode === 'host' ? 'host' : 'private',
    },
    noShm: namespaces.noShm,
    ...(Array.isArray(host.MaskedPaths) ? { maskedPaths: host.MaskedPaths as string[] } : {}),
    ...(Array.isArray(host.ReadonlyPaths) ? { readonlyPaths: host.ReadonlyPaths as string[] } : {}),
    ...(record.Config.Domainname ? { domainname: record.Config.Domainname } : {}),
    annotations: (host.Annotations ?? {}) as Record<string, string>,
    sysctls: (host.Sysctls ?? {}) as Record<string, string>,
    devices,
    deviceRules: ((host.DeviceCgroupRules ?? []) as string[]).map(parseDeviceRule),
    cgroupsPath: containerCgroupPath(record),
    resources: {
      memory: host.Memory,
      memorySwap: host.MemorySwap,
      memoryReservation: host.MemoryReservation,
      disableOomKiller: host.OomKillDisable ?? false,
      cpuShares: host.CpuShares,
      cpuQuota: quota,
      cpuPeriod: period,
      cpusetCpus: host.CpusetCpus,
      cpusetMems: (host.CpusetMems as string | undefined) || undefined,
      pidsLimit: host.PidsLimit ?? undefined,
      swappiness: typeof host.MemorySwappiness === 'number' && host.MemorySwappiness >= 0 ? host.MemorySwappiness : undefined,
      blkioWeight: typeof host.BlkioWeight === 'number' && host.BlkioWeight > 0 ? host.BlkioWeight : undefined,
      blkioWeightDevices: blockIo.weights,
      throttleReadBps: readBps,
      throttleWriteBps: writeBps,
      throttleReadIops: readIops,
      throttleWriteIops: writeIops,
    },
    mounts: sortByDepth([
      ...containerMounts(record, paths),
      ...(namespaces.shm ? [namespaces.shm] : []),
      ...(host.Init ? [bindMount(INIT_BINARY, INIT_IN_CONTAINER, true)] : []),
    ]),
    ...(propagation ? { rootfsPropagation: propagation } : {}),
    shmSize: host.ShmSize,
    rlimits: host.Ulimits?.length ? toRlimits(host.Ulimits, await currentHardLimits()) : [],
    noNewPrivileges: parseSecurityOpts(host.SecurityOpt).noNewPrivileges,
    ...(typeof host.OomScoreAdj === 'number' && host.OomScoreAdj !== 0 ? { oomScoreAdj: host.OomScoreAdj } : {}),
    seccomp: containerSeccomp(host, capabilities, seccompHost),
    swapAccounting: cgroups.swapAccounting,
  });
}
