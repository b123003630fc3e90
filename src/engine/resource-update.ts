import { conflict, invalidArgument } from '../common/errors.js';
import type { HostConfig } from './container-record.js';
import { cpuQuotaFromNanoCpus, resolveHostConfig } from './create-config.js';
import type { HostFacts } from '../runtime/host-facts.js';
import { checkUpdatableResources } from './host-options.js';
import type { ContainerUpdateRequest } from './types.js';

/**
 * `docker update`: which HostConfig fields a request changes, docker's rules for
 * combining them with the container's current limits, and the OCI runtime's
 * `update` flags that apply them to a running container.
 */

const NUMERIC_FIELDS = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod'] as const;

function checkRequest(request: ContainerUpdateRequest): void {
  for (const field of NUMERIC_FIELDS) {
    const value = request[field];
    if (value !== undefined && value !== null && !Number.isInteger(value)) {
      throw invalidArgument(`invalid JSON: ${field} must be an integer`);
    }
  }
  if (request.PidsLimit !== undefined && request.PidsLimit !== null && !Number.isInteger(request.PidsLimit)) {
    throw invalidArgument('invalid JSON: PidsLimit must be an integer');
  }
  for (const field of ['CpusetCpus', 'CpusetMems'] as const) {
    const value = request[field];
    if (value !== undefined && value !== null && typeof value !== 'string') throw invalidArgument(`invalid JSON: ${field} must be a string`);
  }
  if (request.BlkioWeight !== undefined && request.BlkioWeight !== null && !Number.isInteger(request.BlkioWeight)) {
    throw invalidArgument('invalid JSON: BlkioWeight must be an integer');
  }
}

/**
 * The HostConfig after an update, as moby's UpdateContainer computes it: zero and
 * empty values leave a field as it is; conflicts with what is already set are
 * refused (the caller prefixes docker's "Cannot update container ID: ").
 */
export function mergeResourceUpdate(current: HostConfig, request: ContainerUpdateRequest): HostConfig {
  checkRequest(request);
  const nanoCpus = request.NanoCpus ?? 0;
  const cpuPeriod = request.CpuPeriod ?? 0;
  const cpuQuota = request.CpuQuota ?? 0;
  // --cpus is a quota and period of its own: once one way is set, the other cannot be updated.
  if (nanoCpus > 0 && current.CpuPeriod > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (nanoCpus > 0 && current.CpuQuota > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (cpuPeriod > 0 && current.NanoCpus > 0) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (cpuQuota > 0 && current.NanoCpus > 0) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  const next: HostConfig = { ...current, RestartPolicy: { ...current.RestartPolicy } };
  if (request.CpuShares) next.CpuShares = request.CpuShares;
  if (nanoCpus) next.NanoCpus = nanoCpus;
  if (cpuPeriod) next.CpuPeriod = cpuPeriod;
  if (cpuQuota) next.CpuQuota = cpuQuota;
  if (request.CpusetCpus) next.CpusetCpus = request.CpusetCpus;
  if (request.CpusetMems) next.CpusetMems = request.CpusetMems;
  if (request.BlkioWeight) next.BlkioWeight = request.BlkioWeight;
  if (request.Memory) {
    if (current.MemorySwap > 0 && request.Memory > current.MemorySwap && !request.MemorySwap) {
      throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    next.Memory = request.Memory;
  }
  if (request.MemorySwap) next.MemorySwap = request.MemorySwap;
  if (request.MemoryReservation) next.MemoryReservation = request.MemoryReservation;
  if (request.PidsLimit !== undefined && request.PidsLimit !== null) next.PidsLimit = request.PidsLimit;
  const policy = request.RestartPolicy;
  if (policy?.Name) {
    if (current.AutoRemove && policy.Name !== 'no') {
      throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    next.RestartPolicy = { Name: policy.Name, MaximumRetryCount: policy.MaximumRetryCount ?? 0 };
  }
  return next;
}

/** Validates the resource limits of an updated HostConfig with create's rules; returns create's warnings. */
export function validateResources(hostConfig: HostConfig, swapAccounting: boolean, facts: HostFacts): string[] {
  const resources: Partial<HostConfig> = {
    Runtime: hostConfig.Runtime,
    Memory: hostConfig.Memory,
    MemorySwap: hostConfig.MemorySwap,
    MemoryReservation: hostConfig.MemoryReservation,
    NanoCpus: hostConfig.NanoCpus,
    CpuShares: hostConfig.CpuShares,
    CpuQuota: hostConfig.CpuQuota,
    CpuPeriod: hostConfig.CpuPeriod,
    CpusetCpus: hostConfig.CpusetCpus,
  };
  const policy = hostConfig.RestartPolicy.Name;
  if (!['no', '', 'always', 'unless-stopped', 'on-failure'].includes(policy)) {
    throw invalidArgument(`invalid restart policy: unknown policy '${policy}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (policy !== 'on-failure' && hostConfig.RestartPolicy.MaximumRetryCount) {
    throw invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (hostConfig.RestartPolicy.MaximumRetryCount < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  return [
    ...resolveHostConfig(resources, { defaultRuntime: hostConfig.Runtime, runtimes: [hostConfig.Runtime], swapAccounting }).warnings,
    ...checkUpdatableResources(hostConfig, facts),
  ];
}

/**
 * Flags of `crun update` / `runc update` (the two share them) that set a running
 * container's cgroup to the limits of `hostConfig`. Unset limits are left out;
 * docker's "unlimited" values (-1, or 0 and below for pids) become -1.
 */
export function runtimeUpdateFlags(hostConfig: HostConfig, swapAccounting: boolean): string[] {
  const flags: string[] = [];
  const add = (flag: string, value: number | string): void => {
    flags.push(`--${flag}=${value}`);
  };
  if (hostConfig.Memory > 0) add('memory', hostConfig.Memory);
  if (swapAccounting && hostConfig.MemorySwap !== 0) add('memory-swap', hostConfig.MemorySwap);
  if (hostConfig.MemoryReservation > 0) add('memory-reservation', hostConfig.MemoryReservation);
  if (hostConfig.CpuShares > 0) add('cpu-share', hostConfig.CpuShares);
  const { quota, period } = hostConfig.NanoCpus > 0
    ? cpuQuotaFromNanoCpus(hostConfig.NanoCpus)
    : { quota: hostConfig.CpuQuota, period: hostConfig.CpuPeriod };
  if (period > 0) add('cpu-period', period);
  if (quota !== 0) add('cpu-quota', quota);
  if (hostConfig.CpusetCpus) add('cpuset-cpus', hostConfig.CpusetCpus);
  if (hostConfig.CpusetMems) add('cpuset-mems', String(hostConfig.CpusetMems));
  if (typeof hostConfig.BlkioWeight === 'number' && hostConfig.BlkioWeight > 0) add('blkio-weight', hostConfig.BlkioWeight);
  if (hostConfig.PidsLimit !== null && hostConfig.PidsLimit !== undefined) add('pids-limit', hostConfig.PidsLimit > 0 ? hostConfig.PidsLimit : -1);
  return flags;
}
