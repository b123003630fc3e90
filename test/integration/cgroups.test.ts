import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, TestDaemon } from '../helpers/daemon.js';

const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/** Reads cgroup files from inside a container, whose cgroup namespace shows its own cgroup at the root. */
function cgroupFile(v1: string, v2: string): string {
  return V2 ? `/sys/fs/cgroup/${v2}` : `/sys/fs/cgroup/${v1}`;
}

describe('cgroup limits', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('-m, --pids-limit and --cpus are applied to the container cgroup', () => {
    const files = [
      cgroupFile('memory/memory.limit_in_bytes', 'memory.max'),
      cgroupFile('pids/pids.max', 'pids.max'),
      V2 ? cgroupFile('', 'cpu.max') : cgroupFile('cpu/cpu.cfs_quota_us', ''),
    ];
    const run = daemon.berth(['run', '--rm', '-m', '128m', '--pids-limit', '50', '--cpus', '0.5', 'busybox', 'cat', ...files]);
    assert.equal(run.status, 0, run.stderr);
    const [memory, pids, cpu] = run.stdout.trim().split('\n');
    assert.equal(memory, '134217728');
    assert.equal(pids, '50');
    assert.equal(cpu, V2 ? '50000 100000' : '50000');
  });

  test('--memory-reservation, --cpu-shares, --cpu-quota/--cpu-period, --cpuset-cpus', () => {
    const files = V2
      ? ['memory.low', 'cpu.weight', 'cpu.max', 'cpuset.cpus'].map((file) => `/sys/fs/cgroup/${file}`)
      : ['memory/memory.soft_limit_in_bytes', 'cpu/cpu.shares', 'cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us', 'cpuset/cpuset.cpus'].map((file) => `/sys/fs/cgroup/${file}`);
    const run = daemon.berth(['run', '--rm', '-m', '256m', '--memory-reservation', '64m', '--cpu-shares', '512', '--cpu-quota', '20000', '--cpu-period', '40000', '--cpuset-cpus', '0', 'busybox', 'cat', ...files]);
    assert.equal(run.status, 0, run.stderr);
    const values = run.stdout.trim().split('\n');
    if (V2) assert.deepEqual(values, ['67108864', values[1], '20000 40000', '0']);
    else assert.deepEqual(values, ['67108864', '512', '20000', '40000', '0']);
  });

  test('an allocation past the memory limit is OOM-killed: exit 137 and State.OOMKilled', () => {
    const run = daemon.berth(['run', '--name', 'oom', '-m', '32m', '--memory-swap', '32m', 'busybox', 'sh', '-c', 'tail /dev/zero']);
    try {
      assert.equal(run.status, 137, run.stderr);
      assert.equal(daemon.berth(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']).stdout, 'true 137\n');
      // conmon also marks the kill with an `oom` file in its working directory, which must not be berthd's.
      assert.equal(existsSync(join(daemon.dir, 'oom')), false, 'no oom file where berthd was started');
    } finally {
      daemon.berth(['rm', '-f', 'oom']);
    }
  });

  test('--oom-kill-disable is passed to the memory cgroup (v1)', { skip: V2 && 'cgroup v2 has no OOM-killer switch' }, () => {
    const run = daemon.berth(['run', '--rm', '-m', '64m', '--oom-kill-disable', 'busybox', 'cat', '/sys/fs/cgroup/memory/memory.oom_control']);
    assert.match(run.stdout, /^oom_kill_disable 1$/m);
  });

  test('the container cgroup is removed after the container exits', () => {
    const id = daemon.berth(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
    const dir = V2 ? `/sys/fs/cgroup/berth/${id}` : `/sys/fs/cgroup/memory/berth/${id}`;
    try {
      assert.ok(existsSync(dir), `${dir} exists while running`);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
    assert.ok(!existsSync(dir), `${dir} is gone after rm -f`);
  });
});
