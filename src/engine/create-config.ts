import { availableParallelism, hostname } from 'node:os';
import { invalidArgument } from '../common/errors.js';
import type { ExecutionConfig } from '../image/image-config.js';
import type { HostFacts } from '../runtime/host-facts.js';
import type { ContainerConfig, HostConfig } from './container-record.js';
import { checkHealthcheck, mergeHealthcheck } from './health-config.js';
import { checkHostOptions, parseCpuList } from './host-options.js';
import type { CreateContainerRequest } from './types.js';

const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * Docker's defaults for a HostConfig field the client left out. The log driver is
 * reported as docker's json-file: conmon writes its own k8s-file format on disk,
 * but every log API (logs, attach, follow, since/until, timestamps) behaves as with
 * json-file, and clients decide from this name whether logs can be read back
 * (docker-py's containers.run returns the output only for json-file or journald).
 */
export function defaultHostConfig(defaultRuntime: string): HostConfig {
  return {
    NetworkMode: 'none', Runtime: defaultRuntime, AutoRemove: false, Privileged: false, ReadonlyRootfs: false,
    CapAdd: null, CapDrop: null, SecurityOpt: null, Memory: 0, MemorySwap: 0, MemoryReservation: 0, NanoCpus: 0, CpuShares: 0,
    CpuQuota: 0, CpuPeriod: 0, CpusetCpus: '', PidsLimit: null, OomKillDisable: null, ShmSize: 64 * 1024 * 1024,
    Ulimits: null, ExtraHosts: null, Dns: null, Binds: null,
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'json-file', Config: {} },
  };
}

/** Merges environment lists as docker does: the overrides first, then base entries they do not name. */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const name = (entry: string): string => entry.split('=', 1)[0]!;
  const result = new Map<string, string>();
  for (const entry of overrides) result.set(name(entry), entry);
  for (const entry of base) if (!result.has(name(entry))) result.set(name(entry), entry);
  return [...result.values()];
}

/**
 * The container's Config: the client's request over the image's config, with
 * docker's rules for entrypoint and command (a client entrypoint drops the
 * image's command; a client command replaces the image's).
 */
export function resolveConfig(request: CreateContainerRequest, image: ExecutionConfig, id: string): ContainerConfig {
  // moby's merge: an empty (or absent) entrypoint takes the image's command when none
  // is given, and the image's entrypoint only when the client sent none at all.
  let entrypoint = request.Entrypoint ?? null;
  let cmd = request.Cmd && request.Cmd.length ? request.Cmd : null;
  if (entrypoint === null || entrypoint.length === 0) {
    cmd ??= image.Cmd ?? null;
    if (entrypoint === null) entrypoint = image.Entrypoint ?? null;
  }
  // `--entrypoint ""` arrives as [""]: it clears the entrypoint.
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  const hostNetwork = request.HostConfig?.NetworkMode === 'host';
  const hostUts = request.HostConfig?.UTSMode === 'host';
  if (hostUts && request.Hostname) throw invalidArgument('conflicting options: hostname and the UTS mode');
  const workingDir = request.WorkingDir || image.WorkingDir || '';
  if (workingDir && !workingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  }
  const healthcheck = mergeHealthcheck(request.Healthcheck, image.Healthcheck);
  checkHealthcheck(healthcheck);
  return {
    Hostname: request.Hostname || (hostNetwork || hostUts ? hostname() : id.slice(0, 12)),
    Domainname: request.Domainname ?? '',
    User: request.User ?? image.User ?? '',
    AttachStdin: request.AttachStdin ?? false,
    AttachStdout: request.AttachStdout ?? false,
    AttachStderr: request.AttachStderr ?? false,
    ExposedPorts: { ...(image.ExposedPorts ?? {}), ...(request.ExposedPorts ?? {}) },
    Tty: request.Tty ?? false,
    OpenStdin: request.OpenStdin ?? false,
    StdinOnce: request.StdinOnce ?? false,
    Env: mergeEnv(image.Env ?? [], request.Env ?? []),
    Cmd: cmd,
    Image: request.Image,
    Volumes: request.Volumes ?? image.Volumes ?? null,
    WorkingDir: workingDir,
    Entrypoint: entrypoint && entrypoint.length ? entrypoint : null,
    OnBuild: null,
    Labels: { ...(image.Labels ?? {}), ...(request.Labels ?? {}) },
    ...(request.StopSignal || image.StopSignal ? { StopSignal: request.StopSignal || image.StopSignal } : {}),
    ...(request.StopTimeout !== undefined && request.StopTimeout !== null ? { StopTimeout: request.StopTimeout } : {}),
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(image.Shell?.length ? { Shell: image.Shell } : {}),
  };
}

/** The process a container runs: entrypoint then command; docker refuses an empty one. */
export function processArgs(config: ContainerConfig): string[] {
  const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (!args.length) throw invalidArgument('No command specified');
  return args;
}

/** Validates and completes the client's HostConfig as docker does, returning warnings. */
export function resolveHostConfig(
  requested: Partial<HostConfig> | undefined,
  options: { defaultRuntime: string; runtimes: string[]; swapAccounting: boolean; hostFacts?: HostFacts },
): { hostConfig: HostConfig; warnings: string[] } {
  const hostConfig: HostConfig = { ...defaultHostConfig(options.defaultRuntime) };
  for (const [key, value] of Object.entries(requested ?? {})) {
    if (value !== undefined && value !== null && value !== '') hostConfig[key] = value;
  }
  const warnings: string[] = [];
  if (!options.runtimes.includes(hostConfig.Runtime)) {
    throw invalidArgument(`unknown or invalid runtime name: ${hostConfig.Runtime}`);
  }
  const mode = hostConfig.NetworkMode;
  if (mode === 'default' || mode === 'bridge') hostConfig.NetworkMode = 'none';
  else if (mode !== 'none' && mode !== 'host') {
    throw invalidArgument(`network ${mode} not found`);
  }
  if (hostConfig.Memory > 0 && hostConfig.Memory < MIN_MEMORY) {
    throw invalidArgument('Minimum memory limit allowed is 6MB');
  }
  if (hostConfig.Memory < 0) throw invalidArgument('Invalid value for memory limit');
  if (hostConfig.MemorySwap > 0 && hostConfig.Memory > 0 && hostConfig.MemorySwap < hostConfig.Memory) {
    throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (hostConfig.MemorySwap > 0 && hostConfig.Memory === 0) {
    throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (hostConfig.MemoryReservation > 0 && hostConfig.Memory > 0 && hostConfig.MemoryReservation > hostConfig.Memory) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (!options.swapAccounting) {
    if (hostConfig.Memory > 0 && hostConfig.MemorySwap !== -1) {
      warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
      hostConfig.MemorySwap = -1;
    }
  } else if (hostConfig.Memory > 0 && hostConfig.MemorySwap === 0) {
    // Docker's default: as much swap as memory on top of it.
    hostConfig.MemorySwap = hostConfig.Memory * 2;
  }
  if (hostConfig.NanoCpus > 0 && hostConfig.CpuPeriod > 0) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (hostConfig.NanoCpus > 0 && hostConfig.CpuQuota > 0) {
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  }
  if (hostConfig.CpuPeriod && (hostConfig.CpuPeriod < 1000 || hostConfig.CpuPeriod > 1_000_000)) {
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (hostConfig.CpuQuota > 0 && hostConfig.CpuQuota < 1000) {
    throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  }
  const cpuCount = availableParallelism();
  if (hostConfig.NanoCpus < 0 || hostConfig.NanoCpus > cpuCount * 1e9) {
    throw invalidArgument(`Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
  }
  if (hostConfig.CpusetCpus && !parseCpuList(hostConfig.CpusetCpus)) {
    throw invalidArgument(`Invalid value ${hostConfig.CpusetCpus} for cpuset cpus`);
  }
  if (options.hostFacts) warnings.push(...checkHostOptions(hostConfig, options.hostFacts));
  if (hostConfig.OomKillDisable && !hostConfig.Memory) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (hostConfig.RestartPolicy.Name !== 'no' && hostConfig.RestartPolicy.Name !== '' && hostConfig.AutoRemove) {
    throw invalidArgument('can\'t create \'AutoRemove\' container with restart policy');
  }
  return { hostConfig, warnings };
}

/** cpu quota and period for docker's --cpus (NanoCpus), with its 100ms period. */
export function cpuQuotaFromNanoCpus(nanoCpus: number): { quota: number; period: number } {
  const period = 100_000;
  return { quota: Math.trunc((nanoCpus * period) / 1e9), period };
}
