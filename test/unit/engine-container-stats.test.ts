import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultHostConfig } from '../../src/engine/create-config.js';
import { statsJson, stoppedStats } from '../../src/engine/container-stats.js';
import { mergeResourceUpdate, runtimeUpdateFlags, validateResources } from '../../src/engine/resource-update.js';
import type { CgroupSample } from '../../src/runtime/cgroup-stats.js';

const record = { Id: 'a'.repeat(64), Name: '/web' };

function cgroup(total: number): CgroupSample {
  return {
    cpu: { total, kernel: 10, user: 20, perCpu: [total / 2, total / 2], throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 } },
    memory: { usage: 5000, maxUsage: 6000, failcnt: 0, stats: { total_inactive_file: 1000 } },
    pids: { current: 2 },
    blkio: { serviceBytes: [{ major: 8, minor: 0, op: 'Read', value: 1 }], serviced: [] },
  };
}

describe('stats JSON', () => {
  it('has docker\'s shape; the limit of an unlimited container is the host memory', () => {
    const json = statsJson({ record, cgroup: cgroup(100), system: { usage: 1000, onlineCpus: 2 }, machineMemory: 8e9, read: new Date(0) });
    assert.equal(json.read, '1970-01-01T00:00:00.000Z');
    assert.equal(json.preread, '0001-01-01T00:00:00Z');
    assert.deepEqual(json.cpu_stats, {
      cpu_usage: { total_usage: 100, percpu_usage: [50, 50], usage_in_kernelmode: 10, usage_in_usermode: 20 },
      system_cpu_usage: 1000, online_cpus: 2, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    });
    assert.deepEqual(json.precpu_stats.cpu_usage, { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 });
    assert.deepEqual(json.memory_stats, { usage: 5000, max_usage: 6000, stats: { total_inactive_file: 1000 }, limit: 8e9 });
    assert.deepEqual(json.pids_stats, { current: 2 });
    assert.equal(json.blkio_stats.io_service_bytes_recursive?.length, 1);
    assert.equal(json.blkio_stats.io_serviced_recursive, null);
    assert.equal(json.name, '/web');
    assert.equal('networks' in json, false);
  });

  it('takes precpu_stats and preread from the previous sample', () => {
    const first = statsJson({ record, cgroup: cgroup(100), system: { usage: 1000, onlineCpus: 2 }, machineMemory: 8e9, read: new Date(0) });
    const second = statsJson({ record, cgroup: cgroup(300), system: { usage: 2000, onlineCpus: 2 }, machineMemory: 8e9, read: new Date(1000), previous: first });
    assert.equal(second.preread, first.read);
    assert.deepEqual(second.precpu_stats, first.cpu_stats);
  });

  it('answers zeros for a stopped container', () => {
    const json = stoppedStats(record);
    assert.equal(json.read, '0001-01-01T00:00:00Z');
    assert.deepEqual(json.memory_stats, {});
    assert.deepEqual(json.pids_stats, {});
    assert.equal(json.cpu_stats.cpu_usage.total_usage, 0);
    assert.equal(json.id, record.Id);
  });
});

describe('update of resources', () => {
  const base = { ...defaultHostConfig('crun'), Memory: 64 * 2 ** 20, MemorySwap: 128 * 2 ** 20 };

  it('changes only the fields given (zero means unchanged)', () => {
    const next = mergeResourceUpdate(base, { Memory: 96 * 2 ** 20, PidsLimit: 77, CpuShares: 0, CpusetCpus: '' });
    assert.equal(next.Memory, 96 * 2 ** 20);
    assert.equal(next.MemorySwap, base.MemorySwap);
    assert.equal(next.PidsLimit, 77);
    assert.equal(next.CpuShares, 0);
    assert.deepEqual(next.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.equal(base.Memory, 64 * 2 ** 20, 'the current HostConfig is left alone');
  });

  it('refuses memory above the swap limit already set, and --cpus against a set quota', () => {
    assert.throws(() => mergeResourceUpdate(base, { Memory: 200 * 2 ** 20 }), /Memory limit should be smaller than already set memoryswap limit/);
    assert.equal(mergeResourceUpdate(base, { Memory: 200 * 2 ** 20, MemorySwap: -1 }).MemorySwap, -1);
    assert.throws(() => mergeResourceUpdate({ ...base, CpuQuota: 50000 }, { NanoCpus: 1e9 }), /Nano CPUs cannot be updated as CPU Quota has already been set/);
    assert.throws(() => mergeResourceUpdate({ ...base, NanoCpus: 1e9 }, { CpuPeriod: 50000 }), /CPU Period cannot be updated as NanoCPUs has already been set/);
    assert.throws(() => mergeResourceUpdate({ ...base, AutoRemove: true }, { RestartPolicy: { Name: 'always' } }), /AutoRemove is enabled/);
    assert.throws(() => mergeResourceUpdate(base, { Memory: 1.5 }), /Memory must be an integer/);
  });

  const facts = { onlineCpus: '0-1', onlineMems: '0', swappiness: true, blkioWeight: true, blkioThrottle: true };

  it('validates with create\'s rules', () => {
    assert.throws(() => validateResources({ ...base, Memory: 1024, MemorySwap: 0 }, true, facts), /Minimum memory limit allowed is 6MB/);
    assert.throws(() => validateResources({ ...base, MemoryReservation: 2 ** 30 }, true, facts), /can not be less than memory reservation/);
    assert.throws(() => validateResources({ ...base, RestartPolicy: { Name: 'sometimes', MaximumRetryCount: 0 } }, true, facts), /unknown policy 'sometimes'/);
    assert.deepEqual(validateResources(base, true, facts), []);
  });

  it('updates cpuset mems and the block I/O weight, checked against the host', () => {
    const next = mergeResourceUpdate(base, { CpusetMems: '0', BlkioWeight: 300 });
    assert.deepEqual([next.CpusetMems, next.BlkioWeight], ['0', 300]);
    assert.throws(() => validateResources({ ...next, CpusetMems: '3' }, true, facts), /Requested memory nodes are not available - requested 3, available: 0/);
    assert.throws(() => validateResources({ ...next, BlkioWeight: 5 }, true, facts), /Range of blkio weight is from 10 to 1000/);
    const discarded = { ...next };
    assert.deepEqual(validateResources(discarded, true, { ...facts, blkioWeight: false }), ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    assert.equal(discarded.BlkioWeight, 0);
    assert.deepEqual(runtimeUpdateFlags({ ...next, Memory: 0, MemorySwap: 0 }, true), ['--cpuset-mems=0', '--blkio-weight=300']);
    assert.throws(() => mergeResourceUpdate(base, { BlkioWeight: 1.5 }), /BlkioWeight must be an integer/);
  });

  it('gives the runtime every limit set, --cpus as quota and period, unlimited pids as -1', () => {
    assert.deepEqual(runtimeUpdateFlags({ ...base, NanoCpus: 5e8, PidsLimit: 77, CpuShares: 512 }, true), [
      `--memory=${64 * 2 ** 20}`, `--memory-swap=${128 * 2 ** 20}`, '--cpu-share=512', '--cpu-period=100000', '--cpu-quota=50000', '--pids-limit=77',
    ]);
    assert.deepEqual(runtimeUpdateFlags({ ...base, PidsLimit: 0 }, false), [`--memory=${64 * 2 ** 20}`, '--pids-limit=-1']);
  });
});
