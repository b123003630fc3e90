import assert from 'node:assert/strict';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';

const BURN = ['sh', '-c', 'while :; do :; done'];

/** The first `count` lines of a streamed stats answer, then the connection is dropped. */
function streamLines(socket: string, path: string, count: number): Promise<{ status: number; lines: string[] }> {
  return new Promise((resolve, reject) => {
    // A connection of its own: a pooled keep-alive one may have been closed by the daemon meanwhile.
    const req = http.get({ socketPath: socket, path, agent: false }, (res) => {
      let buffered = '';
      const lines: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0 && lines.length < count) {
          lines.push(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
        if (lines.length >= count) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, lines });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, lines }));
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}

interface Sample {
  read: string;
  preread: string;
  name: string;
  id: string;
  cpu_stats: { cpu_usage: { total_usage: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats: { current?: number; limit?: number };
  networks?: unknown;
}

function percent(text: string): number {
  const match = /^(\d+\.\d\d)%$/.exec(text.trim());
  assert.ok(match, `a percentage: ${JSON.stringify(text)}`);
  return Number(match[1]);
}

// `update` drives the runtime's own command, so both runtimes are checked.
for (const runtime of ['crun', 'runc']) describe(`stats and update with ${runtime}`, { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  let burnId: string;
  before(async () => {
    daemon = await TestDaemon.start({ extraArgs: ['--default-runtime', runtime] });
    const run = daemon.berth(['run', '-d', '--name', 'burn', '-m', '64m', 'busybox', ...BURN]);
    assert.equal(run.status, 0, run.stderr);
    burnId = run.stdout.trim();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('berth stats --no-stream shows a CPU-bound container and its memory limit', () => {
    const stats = daemon.berth(['stats', '--no-stream', 'burn']);
    assert.equal(stats.status, 0, stats.stderr);
    const [header, row, ...rest] = stats.stdout.trimEnd().split('\n');
    assert.match(header!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    assert.equal(rest.length, 0);
    const cells = row!.split(/\s{2,}/);
    assert.equal(cells[0], burnId.slice(0, 12));
    assert.equal(cells[1], 'burn');
    assert.ok(percent(cells[2]!) > 20, `CPU % of a busy loop: ${cells[2]}`);
    assert.match(cells[3]!, /^\d+(\.\d+)?[KM]?i?B \/ 64MiB$/);
    assert.ok(percent(cells[4]!) < 100);
    assert.equal(cells[5], '0B / 0B', 'no network of its own');
    assert.equal(cells[7], '1');
    const formatted = daemon.berth(['stats', '--no-stream', '--no-trunc', '--format', '{{.ID}} {{.CPUPerc}}', 'burn']);
    const [id, cpu] = formatted.stdout.trim().split(' ');
    assert.equal(id, burnId);
    assert.ok(percent(cpu!) > 20);
  });

  test('berth stats streams, redrawing the table of running containers in place', () => {
    // Killed after a few redraws: the last frame has had two samples, so a real CPU %.
    const stats = daemon.berth(['stats', '--format', 'table {{.Name}}\t{{.CPUPerc}}'], { timeout: 3500 });
    const frames = stats.stdout.split('\x1b[H').slice(1);
    assert.ok(frames.length >= 4, `redrawn every half second: ${frames.length} frames`);
    const last = frames.at(-1)!.split('\x1b[K\n').filter((line) => line && line !== '\x1b[J');
    assert.match(last[0]!, /^NAME\s+CPU %$/);
    const row = last.find((line) => line.startsWith('burn'));
    assert.ok(row, `burn is followed: ${JSON.stringify(last)}`);
    assert.ok(percent(row.split(/\s+/)[1]!) > 20, row);
  });

  test('the docker CLI reads the same stats', { skip: !hasDockerCli && 'docker CLI not installed' }, () => {
    const stats = daemon.docker(['stats', '--no-stream', '--format', '{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}', 'burn']);
    assert.equal(stats.status, 0, stats.stderr);
    const [cpu, memory, pids] = stats.stdout.trim().split('|');
    assert.ok(percent(cpu!) > 20, `docker's CPU %: ${cpu}`);
    assert.match(memory!, / \/ 64MiB$/);
    assert.equal(pids, '1');
  });

  test('the API streams samples whose precpu_stats is the previous sample', async () => {
    const { status, lines } = await streamLines(daemon.socket, '/v1.44/containers/burn/stats', 2);
    assert.equal(status, 200);
    const [first, second] = lines.map((line) => JSON.parse(line) as Sample);
    assert.equal(first!.preread, '0001-01-01T00:00:00Z');
    assert.equal(first!.precpu_stats.cpu_usage.total_usage, 0);
    assert.equal(second!.preread, first!.read);
    assert.deepEqual(second!.precpu_stats, first!.cpu_stats);
    assert.ok(second!.cpu_stats.cpu_usage.total_usage > first!.cpu_stats.cpu_usage.total_usage);
    assert.equal(second!.cpu_stats.online_cpus, availableParallelism());
    assert.equal(second!.name, '/burn');
    assert.equal(second!.id, burnId);
    assert.equal(second!.memory_stats.limit, 64 * 1024 * 1024);
    assert.ok(second!.memory_stats.stats && 'total_inactive_file' in second!.memory_stats.stats || second!.memory_stats.stats && 'inactive_file' in second!.memory_stats.stats);
    assert.equal(second!.networks, undefined, 'no networks without a network namespace of its own');
    const oneShot = await streamLines(daemon.socket, '/v1.44/containers/burn/stats?stream=0&one-shot=1', 5);
    assert.equal(oneShot.lines.length, 1);
    assert.equal((JSON.parse(oneShot.lines[0]!) as Sample).precpu_stats.cpu_usage.total_usage, 0);
    const missing = await streamLines(daemon.socket, '/v1.44/containers/nothere/stats?stream=0', 1);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.lines[0]!), { message: 'No such container: nothere' });
  });

  test('update changes the limits of a running container and its HostConfig', () => {
    const update = daemon.berth(['update', '--memory', '96m', '--pids-limit', '77', 'burn']);
    assert.equal(update.status, 0, update.stderr);
    assert.equal(update.stdout, 'burn\n');
    assert.equal(daemon.berth(['exec', 'burn', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']).stdout, `${96 * 1024 * 1024}\n`);
    assert.equal(daemon.berth(['exec', 'burn', 'cat', '/sys/fs/cgroup/pids/pids.max']).stdout, '77\n');
    assert.equal(daemon.berth(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'burn']).stdout, `${96 * 1024 * 1024} 77\n`);
    assert.match(daemon.berth(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'burn']).stdout, / \/ 96MiB\n$/);
    const cpus = daemon.berth(['update', '--cpus', '0.5', 'burn']);
    assert.equal(cpus.status, 0, cpus.stderr);
    assert.equal(daemon.berth(['exec', 'burn', 'cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us']).stdout, '50000\n');
    assert.equal(daemon.berth(['inspect', '-f', '{{.HostConfig.NanoCpus}}', 'burn']).stdout, '500000000\n');
    const mems = daemon.berth(['update', '--cpuset-mems', '0', 'burn']);
    assert.equal(mems.status, 0, mems.stderr);
    assert.equal(daemon.berth(['exec', 'burn', 'sh', '-c', 'cat /sys/fs/cgroup/cpuset/cpuset.mems 2>/dev/null || cat /sys/fs/cgroup/cpuset.mems']).stdout, '0\n');
    assert.equal(daemon.berth(['inspect', '-f', '{{.HostConfig.CpusetMems}}', 'burn']).stdout, '0\n');
    const events = daemon.berth(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=update']);
    assert.match(events.stdout, new RegExp(`container update ${burnId}`));
  });

  test('the docker CLI updates a container', { skip: !hasDockerCli && 'docker CLI not installed' }, () => {
    const update = daemon.docker(['update', '--pids-limit', '55', '--restart', 'on-failure:3', 'burn']);
    assert.equal(update.status, 0, update.stderr);
    assert.equal(daemon.berth(['exec', 'burn', 'cat', '/sys/fs/cgroup/pids/pids.max']).stdout, '55\n');
    assert.equal(daemon.docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'burn']).stdout, 'on-failure:3\n');
  });

  test('an update of a stopped container applies at its next start', () => {
    assert.equal(daemon.berth(['create', '--name', 'later', 'busybox', 'sleep', '1000']).status, 0);
    const stopped = daemon.berth(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'later']);
    assert.equal(stopped.stdout, 'later 0.00% 0B / 0B 0\n');
    const update = daemon.berth(['update', '-m', '32m', '--pids-limit', '20', 'later']);
    assert.equal(update.status, 0, update.stderr);
    assert.equal(daemon.berth(['start', 'later']).status, 0);
    assert.equal(daemon.berth(['exec', 'later', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']).stdout, `${32 * 1024 * 1024}\n`);
    assert.equal(daemon.berth(['exec', 'later', 'cat', '/sys/fs/cgroup/pids/pids.max']).stdout, '20\n');
  });

  test('bad updates are refused with docker\'s messages and change nothing', () => {
    const cases: [string[], RegExp][] = [
      [['-m', '1k'], /^Error response from daemon: Minimum memory limit allowed is 6MB$/],
      [['--cpus', '99'], /^Error response from daemon: Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/],
      [['-m', '300m'], new RegExp(`^Error response from daemon: Cannot update container ${burnId}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time$`)],
      [['--cpu-quota', '20000'], new RegExp(`^Error response from daemon: Cannot update container ${burnId}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set$`)],
      [['--memory-reservation', '200m'], /^Error response from daemon: Minimum memory limit can not be less than memory reservation limit, see usage$/],
      [['--cpuset-mems', '4096'], /^Error response from daemon: Requested memory nodes are not available - requested 4096, available: /],
      [['--blkio-weight', '5'], /^Error response from daemon: Range of blkio weight is from 10 to 1000$/],
    ];
    for (const [flags, message] of cases) {
      const update = daemon.berth(['update', ...flags, 'burn']);
      assert.equal(update.status, 1, `${flags.join(' ')} is refused`);
      assert.match(update.stderr.trim(), message);
    }
    assert.equal(daemon.berth(['inspect', '-f', '{{.HostConfig.Memory}}', 'burn']).stdout, `${96 * 1024 * 1024}\n`);
    assert.equal(daemon.berth(['exec', 'burn', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']).stdout, `${96 * 1024 * 1024}\n`);
    const noFlags = daemon.berth(['update', 'burn']);
    assert.equal(noFlags.status, 1);
    assert.match(noFlags.stderr, /you must provide one or more flags when using this command/);
    assert.equal(daemon.berth(['run', '-d', '--rm', '--name', 'once', 'busybox', 'sleep', '1000']).status, 0);
    const restart = daemon.berth(['update', '--restart', 'always', 'once']);
    assert.match(restart.stderr, /Restart policy cannot be updated because AutoRemove is enabled for the container/);
    assert.match(daemon.berth(['update', '-m', '8m', 'nothere']).stderr, /^Error response from daemon: No such container: nothere$/m);
  });
});
