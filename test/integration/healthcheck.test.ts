import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { isRoot, TestDaemon } from '../helpers/daemon.js';

/** Polls until `read` returns `wanted`, or fails after `ms` with what it last read. */
async function eventually(read: () => string, wanted: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = read();
  while (last !== wanted && Date.now() < deadline) {
    await sleep(200);
    last = read();
  }
  assert.equal(last, wanted);
}

describe('healthchecks', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  const health = (id: string) => daemon.berth(['inspect', '-f', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}', id]).stdout.trim();

  test('a probe moves the container from starting to unhealthy and healthy, shown by ps, its filter and events', async () => {
    const since = Math.floor(Date.now() / 1000);
    const id = daemon.berth(['run', '-d', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      assert.match(daemon.berth(['ps', '--format', '{{.Status}}', '--filter', `id=${id}`]).stdout, /\(health: starting\)|\(unhealthy\)/);
      await eventually(() => health(id), 'unhealthy 2');
      assert.match(daemon.berth(['ps', '--format', '{{.Status}}', '--filter', 'health=unhealthy']).stdout, /^Up .* \(unhealthy\)\n$/);
      daemon.berth(['exec', id, 'touch', '/tmp/ok']);
      await eventually(() => health(id), 'healthy 0');
      assert.equal(daemon.berth(['ps', '-q', '--no-trunc', '--filter', 'health=healthy']).stdout, `${id}\n`);
      const log = JSON.parse(daemon.berth(['inspect', '-f', '{{json .State.Health.Log}}', id]).stdout) as { ExitCode: number }[];
      assert.ok(log.length <= 5 && log.at(-1)!.ExitCode === 0);
      const events = daemon.berth(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', `container=${id}`, '--format', '{{.Action}}']).stdout;
      assert.match(events, /health_status: unhealthy\n(.|\n)*health_status: healthy\n/);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('a probe past its timeout is killed and fails with dockerd\'s message', async () => {
    const id = daemon.berth(['run', '-d', '--health-cmd', 'sleep 30', '--health-interval', '200ms', '--health-timeout', '300ms', '--health-retries', '1', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      await eventually(() => health(id).split(' ')[0]!, 'unhealthy');
      const last = JSON.parse(daemon.berth(['inspect', '-f', '{{json .State.Health.Log}}', id]).stdout).at(-1) as { ExitCode: number; Output: string };
      assert.deepEqual([last.ExitCode, last.Output], [-1, 'Health check exceeded timeout (300ms)']);
      await sleep(1000);
      const sleepers = Number(daemon.berth(['exec', id, 'sh', '-c', 'ps -o args | grep -c "^sleep 30" || true']).stdout.trim());
      assert.ok(sleepers <= 1, `timed-out probes are killed, not left to pile up (${sleepers} running)`);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('a restart starts over from starting; --no-healthcheck and no healthcheck have no Health', async () => {
    const id = daemon.berth(['run', '-d', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      await eventually(() => health(id), 'healthy 0');
      daemon.berth(['restart', '-t', '0', id]);
      await eventually(() => health(id), 'healthy 0');
      assert.equal(daemon.berth(['inspect', '-f', '{{json .Config.Healthcheck}}', id]).stdout, '{"Test":["CMD-SHELL","true"],"Interval":200000000}\n');
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
    const none = daemon.berth(['run', '-d', '--no-healthcheck', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      assert.equal(daemon.berth(['inspect', '-f', '{{json .Config.Healthcheck}}', none]).stdout, '{"Test":["NONE"]}\n');
      assert.equal('Health' in JSON.parse(daemon.berth(['inspect', '-f', '{{json .State}}', none]).stdout), false);
      assert.match(daemon.berth(['ps', '--format', '{{.Status}}', '--filter', `id=${none}`]).stdout, /^Up [^(]*\n$/);
    } finally {
      daemon.berth(['rm', '-f', none]);
    }
  });

  test('bad healthcheck settings are refused at create, leaving nothing', () => {
    const tooShort = daemon.berth(['run', '--rm', '--health-cmd', 'true', '--health-interval', '10us', 'busybox', 'true']);
    assert.equal(tooShort.status, 125);
    assert.match(tooShort.stderr, /Interval in Healthcheck cannot be less than 1ms/);
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '');
  });
});
