import { totalmem } from 'node:os';
import { BerthError, internal } from '../common/errors.js';
import type { CgroupLayout } from '../runtime/cgroup-layout.js';
import {
  readCgroupSample, readNetworkStats, readSystemCpu, type BlkioEntry, type CgroupSample, type InterfaceStats, type SystemCpu,
} from '../runtime/cgroup-stats.js';
import { ZERO_TIME, type ContainerRecord } from './container-record.js';
import type { ContainerService } from './container-service.js';
import { mergeResourceUpdate, runtimeUpdateFlags, validateResources } from './resource-update.js';
import type { ContainerStatsApi, ContainerUpdateRequest, StatsOptions } from './types.js';
import { containerCgroupPath } from './container-spec.js';

/**
 * `docker stats` and `docker update`: samples of a container's cgroup accounting
 * in the Stats JSON of the Docker API, and live changes of its limits.
 */

export interface CpuStatsJson {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface StatsJson {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, BlkioEntry[] | null>;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStatsJson;
  precpu_stats: CpuStatsJson;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  name: string;
  id: string;
  networks?: Record<string, InterfaceStats>;
}


const BLKIO_FIELDS = [
  'io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive',
  'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive',
] as const;

function emptyCpuStats(): CpuStatsJson {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function blkioJson(serviceBytes: BlkioEntry[] | null, serviced: BlkioEntry[] | null): Record<string, BlkioEntry[] | null> {
  const json: Record<string, BlkioEntry[] | null> = Object.fromEntries(BLKIO_FIELDS.map((field) => [field, null]));
  json.io_service_bytes_recursive = serviceBytes?.length ? serviceBytes : null;
  json.io_serviced_recursive = serviced?.length ? serviced : null;
  return json;
}

/** What docker answers for a container that is not running: names and zeros. */
export function stoppedStats(record: Pick<ContainerRecord, 'Id' | 'Name'>): StatsJson {
  return {
    read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: blkioJson(null, null), num_procs: 0, storage_stats: {},
    cpu_stats: emptyCpuStats(), precpu_stats: emptyCpuStats(), memory_stats: {}, name: record.Name, id: record.Id,
  };
}

export interface SampleInput {
  record: Pick<ContainerRecord, 'Id' | 'Name'>;
  cgroup: CgroupSample;
  system: SystemCpu;
  /** Interface counters, or undefined when the container has no network of its own. */
  networks?: Record<string, InterfaceStats>;
  /** The host's memory: an unlimited container's limit, as docker reports it. */
  machineMemory: number;
  read: Date;
  previous?: StatsJson;
}

/** One sample in docker's JSON; precpu_stats and preread come from the previous sample of a stream. */
export function statsJson(input: SampleInput): StatsJson {
  const { cgroup, system } = input;
  const cpu: CpuStatsJson = {
    cpu_usage: {
      total_usage: cgroup.cpu.total,
      ...(cgroup.cpu.perCpu?.length ? { percpu_usage: cgroup.cpu.perCpu } : {}),
      usage_in_kernelmode: cgroup.cpu.kernel,
      usage_in_usermode: cgroup.cpu.user,
    },
    ...(system.usage ? { system_cpu_usage: system.usage } : {}),
    ...(system.onlineCpus ? { online_cpus: system.onlineCpus } : {}),
    throttling_data: {
      periods: cgroup.cpu.throttling.periods,
      throttled_periods: cgroup.cpu.throttling.throttledPeriods,
      throttled_time: cgroup.cpu.throttling.throttledTime,
    },
  };
  const memory = cgroup.memory;
  const limit = Math.min(memory.limit ?? input.machineMemory, input.machineMemory);
  const json: StatsJson = {
    read: input.read.toISOString(),
    preread: input.previous?.read ?? ZERO_TIME,
    pids_stats: {
      ...(cgroup.pids.current ? { current: cgroup.pids.current } : {}),
      ...(cgroup.pids.limit ? { limit: cgroup.pids.limit } : {}),
    },
    blkio_stats: blkioJson(cgroup.blkio.serviceBytes, cgroup.blkio.serviced),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: input.previous?.cpu_stats ?? emptyCpuStats(),
    memory_stats: {
      ...(memory.usage ? { usage: memory.usage } : {}),
      ...(memory.maxUsage ? { max_usage: memory.maxUsage } : {}),
      ...(Object.keys(memory.stats).length ? { stats: memory.stats } : {}),
      ...(memory.failcnt ? { failcnt: memory.failcnt } : {}),
      ...(limit ? { limit } : {}),
    },
    name: input.record.Name,
    id: input.record.Id,
  };
  if (input.networks) json.networks = input.networks;
  return json;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface ContainerStatsOptions {
  /** Time between the samples of a stream (docker's collector: 1s). */
  intervalMs?: number;
  /** Where the cgroup hierarchies are mounted (tests point this at fixtures). */
  cgroupRoot?: string;
}

export class ContainerStats implements ContainerStatsApi {
  private readonly intervalMs: number;

  constructor(
    private readonly containers: ContainerService,
    private readonly cgroups: CgroupLayout,
    private readonly options: ContainerStatsOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** One sample of a container now (zeros when it is not running). */
  async sample(ref: string, previous?: StatsJson): Promise<StatsJson> {
    const record = this.containers.find(ref);
    if (!record.State.Running) return stoppedStats(record);
    const ownNetwork = record.HostConfig.NetworkMode !== 'none' && record.HostConfig.NetworkMode !== 'host';
    const [cgroup, system, networks] = await Promise.all([
      readCgroupSample(containerCgroupPath(record), this.cgroups.version, this.options.cgroupRoot),
      readSystemCpu(),
      ownNetwork && record.State.Pid > 0 ? readNetworkStats(record.State.Pid) : undefined,
    ]);
    return statsJson({
      record, cgroup, system, machineMemory: totalmem(), read: new Date(),
      ...(networks ? { networks } : {}), ...(previous ? { previous } : {}),
    });
  }

  samples(ref: string, options: StatsOptions, signal: AbortSignal): AsyncIterable<StatsJson> {
    // Looked up now, so an unknown container fails before the answer starts.
    const { Id } = this.containers.find(ref);
    return options.stream ? this.stream(Id, signal) : this.single(Id, options.oneShot, signal);
  }

  /**
   * As dockerd: without one-shot, the answer waits for a second sample so that
   * precpu_stats holds the first and a CPU percentage can be computed from one answer.
   */
  private async *single(id: string, oneShot: boolean, signal: AbortSignal): AsyncGenerator<StatsJson> {
    const first = await this.sample(id);
    if (oneShot || first.read === ZERO_TIME) {
      yield first;
      return;
    }
    await sleep(this.intervalMs, signal);
    if (signal.aborted) return;
    yield await this.sample(id, first);
  }

  /** A sample a second until the client leaves or the container is removed; zeros while it is stopped. */
  private async *stream(id: string, signal: AbortSignal): AsyncGenerator<StatsJson> {
    let previous: StatsJson | undefined;
    while (!signal.aborted) {
      let current: StatsJson;
      try {
        current = await this.sample(id, previous);
      } catch (error) {
        if (error instanceof BerthError && error.kind === 'not-found') return;
        throw error;
      }
      yield current;
      previous = current.read === ZERO_TIME ? undefined : current;
      await sleep(this.intervalMs, signal);
    }
  }

  /**
   * Applies a docker update: refused with docker's messages when invalid, stored
   * in the container's HostConfig, and applied to its cgroup when it is running
   * (a stopped container gets the new limits at its next start).
   */
  async update(ref: string, request: ContainerUpdateRequest): Promise<{ Warnings: string[] }> {
    let warnings: string[] = [];
    const swapAccounting = this.cgroups.swapAccounting;
    await this.containers.updateHostConfig(ref, async (record, runtime) => {
      let next;
      try {
        next = mergeResourceUpdate(record.HostConfig, request);
      } catch (error) {
        if (error instanceof BerthError && error.kind === 'conflict') {
          throw new BerthError('conflict', `Cannot update container ${record.Id}: ${error.message}`);
        }
        throw error;
      }
      warnings = validateResources(next, swapAccounting, this.containers.hostFacts);
      if (record.State.Running) {
        try {
          await runtime.update(record.Id, runtimeUpdateFlags(next, swapAccounting));
        } catch (error) {
          throw internal(`Cannot update container ${record.Id}: ${(error as Error).message}`, error);
        }
      }
      return next;
    });
    return { Warnings: warnings };
  }
}
