import { mkdir } from 'node:fs/promises';
import { buildSpec, consoleSize, type SpecMount } from '../runtime/oci-spec.js';
import type { CgroupLayout } from '../runtime/cgroup-layout.js';
import type { SeccompHost } from '../runtime/seccomp-host.js';
import { containerSeccomp } from './container-seccomp.js';
import { cpuQuotaFromNanoCpus, mergeEnv, processArgs } from './create-config.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './container-paths.js';
import { rootfsPropagation, sortByDepth, specMount } from './container-mounts.js';
import { resolveInRoot } from './path-in-root.js';
import { currentHardLimits, toRlimits } from './process-limits.js';
import { parseSecurityOpts } from './security-opts.js';
import { resolveUser } from './user.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function bindMount(source: string, destination: string, readonly = false): SpecMount {
  return { destination, type: 'bind', source, options: ['rbind', 'rprivate', readonly ? 'ro' : 'rw'] };
}

/** The cgroup of a container (cgroupfs driver), under every v1 hierarchy or the v2 root. */
export function containerCgroupPath(id: string): string {
  return `/berth/${id}`;
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

/** Builds the OCI spec of a container whose rootfs is mounted at `rootfs`. */
export async function containerSpec(
  record: ContainerRecord,
  rootfs: string,
  paths: ContainerPaths,
  cgroups: CgroupLayout,
  seccompHost: SeccompHost,
  capabilities: string[],
): Promise<Record<string, unknown>> {
  const host = record.HostConfig;
  const user = await resolveUser(rootfs, record.Config.User);
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
    args: processArgs(record.Config),
    env: containerEnv(record, user.home),
    cwd,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    terminal: record.Config.Tty,
    consoleSize: consoleSize(host.ConsoleSize),
    hostname: record.Config.Hostname,
    capabilities,
    privileged: host.Privileged,
    network: hostNetwork ? 'host' : 'none',
    cgroupsPath: containerCgroupPath(record.Id),
    resources: {
      memory: host.Memory,
      memorySwap: host.MemorySwap,
      memoryReservation: host.MemoryReservation,
      disableOomKiller: host.OomKillDisable ?? false,
      cpuShares: host.CpuShares,
      cpuQuota: quota,
      cpuPeriod: period,
      cpusetCpus: host.CpusetCpus,
      pidsLimit: host.PidsLimit ?? undefined,
    },
    mounts: containerMounts(record, paths),
    ...(propagation ? { rootfsPropagation: propagation } : {}),
    shmSize: host.ShmSize,
    rlimits: host.Ulimits?.length ? toRlimits(host.Ulimits, await currentHardLimits()) : [],
    noNewPrivileges: parseSecurityOpts(host.SecurityOpt).noNewPrivileges,
    seccomp: containerSeccomp(host, capabilities, seccompHost),
    swapAccounting: cgroups.swapAccounting,
  });
}
