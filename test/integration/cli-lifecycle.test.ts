import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTH_CLI, isRoot, TestDaemon } from '../helpers/daemon.js';

const TICKER = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'];

describe('container lifecycle through the berth CLI', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('run -d, ps, logs --tail, stop, rm', async () => {
    const run = daemon.berth(['run', '-d', '--name', 'web', 'busybox', ...TICKER]);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    try {
      const ps = daemon.berth(['ps']);
      assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
      assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'i=0; while[^"]*…"\\s+.*Up .*web$`, 'm'));
      await waitFor(() => daemon.berth(['logs', 'web']).stdout.split('\n').length > 4);
      const tail = daemon.berth(['logs', '--tail', '2', 'web']).stdout.trim().split('\n');
      assert.equal(tail.length, 2);
      assert.match(tail[0]!, /^tick \d+$/);
      assert.equal(daemon.berth(['inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'web']).stdout, 'running true\n');
      const pid = Number(daemon.berth(['inspect', '-f', '{{.State.Pid}}', 'web']).stdout);
      assert.ok(pid > 1);
      const started = Date.now();
      const stop = daemon.berth(['stop', '-t', '1', 'web']);
      assert.equal(stop.stdout, 'web\n');
      assert.ok(Date.now() - started < 8000, 'stop waits for the timeout, not longer');
      // sh as pid 1 ignores SIGTERM, so stop had to escalate to SIGKILL.
      assert.equal(daemon.berth(['inspect', '-f', '{{.State.ExitCode}}', 'web']).stdout, '137\n');
      assert.match(daemon.berth(['ps', '-a']).stdout, /Exited \(137\)/);
      assert.equal(daemon.berth(['ps', '-q']).stdout, '');
    } finally {
      daemon.berth(['rm', '-f', 'web']);
    }
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '');
  });

  test('logs -f follows until the container exits', async () => {
    const id = daemon.berth(['run', '-d', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.3; done']).stdout.trim();
    try {
      const follow = await runCli(daemon, ['logs', '-f', id]);
      assert.equal(follow.stdout, 'line 1\nline 2\nline 3\n');
      assert.equal(follow.status, 0);
      const timestamps = daemon.berth(['logs', '-t', id]).stdout.split('\n')[0]!;
      assert.match(timestamps, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 1$/);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('exec runs in the running container, with its exit code, user and env', () => {
    const id = daemon.berth(['run', '-d', 'busybox', 'sleep', '300']).stdout.trim();
    try {
      assert.equal(daemon.berth(['exec', id, 'echo', 'inside']).stdout, 'inside\n');
      assert.equal(daemon.berth(['exec', id, 'sh', '-c', 'exit 5']).status, 5);
      assert.equal(daemon.berth(['exec', '-u', 'nobody', '-e', 'A=1', '-w', '/tmp', id, 'sh', '-c', 'id -u; echo $A; pwd']).stdout, '65534\n1\n/tmp\n');
      assert.equal(daemon.berth(['exec', '-i', id, 'cat'], { input: 'piped\n' }).stdout, 'piped\n');
      const missing = daemon.berth(['exec', id, 'no-such-thing']);
      assert.equal(missing.status, 127, missing.stderr);
      const ghost = daemon.berth(['exec', '-u', 'ghost', id, 'true']);
      assert.equal(ghost.status, 1, ghost.stderr);
      assert.match(ghost.stderr, /unable to find user ghost/);
      const execDirs = join(daemon.execRoot, 'exec');
      assert.deepEqual(existsSync(execDirs) ? readdirSync(execDirs) : [], [], 'a refused exec leaves no exec directory');
      const top = daemon.berth(['top', id]);
      assert.match(top.stdout, /sleep 300/);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
    const stopped = daemon.berth(['create', 'busybox', 'true']).stdout.trim();
    try {
      const refused = daemon.berth(['exec', stopped, 'true']);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /is not running/);
    } finally {
      daemon.berth(['rm', '-f', stopped]);
    }
  });

  test('pause and unpause freeze the processes', async () => {
    const id = daemon.berth(['run', '-d', 'busybox', ...TICKER]).stdout.trim();
    try {
      assert.equal(daemon.berth(['pause', id]).status, 0);
      assert.equal(daemon.berth(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', id]).stdout, 'paused true\n');
      const frozen = daemon.berth(['logs', id]).stdout;
      await sleep(700);
      assert.equal(daemon.berth(['logs', id]).stdout, frozen, 'no output while paused');
      assert.match(daemon.berth(['ps']).stdout, /\(Paused\)/);
      assert.equal(daemon.berth(['unpause', id]).status, 0);
      await waitFor(() => daemon.berth(['logs', id]).stdout !== frozen);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('kill -s, wait, restart, rename, start -a', async () => {
    const id = daemon.berth(['run', '-d', '--name', 'k1', 'busybox', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']).stdout.trim();
    try {
      await sleep(300);
      const waiting = runCli(daemon, ['wait', 'k1']);
      assert.equal(daemon.berth(['kill', '-s', 'USR1', 'k1']).status, 0);
      assert.equal((await waiting).stdout, '42\n');
      assert.equal(daemon.berth(['rename', 'k1', 'k2']).status, 0);
      assert.match(daemon.berth(['inspect', '-f', '{{.Name}}', id]).stdout, /^\/k2$/m);
      assert.equal(daemon.berth(['restart', '-t', '1', 'k2']).status, 0);
      assert.equal(daemon.berth(['inspect', '-f', '{{.State.Running}}', 'k2']).stdout, 'true\n');
      const notRunning = daemon.berth(['kill', id.slice(0, 12)]);
      assert.equal(notRunning.status, 0);
      await waitFor(() => daemon.berth(['inspect', '-f', '{{.State.Running}}', 'k2']).stdout === 'false\n');
      const again = daemon.berth(['kill', 'k2']);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /is not running/);
      const removeRunning = daemon.berth(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '100']);
      assert.equal(removeRunning.status, 0);
      const refused = daemon.berth(['rm', 'busy']);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /stop the container before removing or force remove/);
      assert.equal(daemon.berth(['rm', '-f', 'busy']).status, 0);
    } finally {
      daemon.berth(['rm', '-f', id]);
      daemon.berth(['rm', '-f', 'busy']);
    }
    const created = daemon.berth(['create', 'busybox', 'echo', 'started later']).stdout.trim();
    try {
      const start = daemon.berth(['start', '-a', created]);
      assert.equal(start.stdout, 'started later\n');
    } finally {
      daemon.berth(['rm', '-f', created]);
    }
  });

  test('ps filters, formats and -n', () => {
    const a = daemon.berth(['run', '-d', '--name', 'fa', '-l', 'tier=front', 'busybox', 'sleep', '100']).stdout.trim();
    const b = daemon.berth(['run', '--name', 'fb', '-l', 'tier=back', 'busybox', 'true']);
    try {
      assert.equal(b.status, 0);
      assert.equal(daemon.berth(['ps', '-a', '--filter', 'label=tier=front', '--format', '{{.Names}}']).stdout, 'fa\n');
      assert.equal(daemon.berth(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}}']).stdout, 'fb\n');
      assert.equal(daemon.berth(['ps', '-a', '--filter', 'name=f', '-n', '1', '--format', '{{.Names}}']).stdout, 'fb\n');
      const json = JSON.parse(daemon.berth(['ps', '--format', 'json']).stdout.trim()) as { Names: string; ID: string };
      assert.equal(json.Names, 'fa');
      assert.equal(json.ID, a.slice(0, 12));
      const bad = daemon.berth(['ps', '--filter', 'nonsense=1']);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /invalid filter 'nonsense'/);
    } finally {
      daemon.berth(['rm', '-f', 'fa', 'fb']);
    }
  });

  test('ps -s shows the bytes a container wrote and the image size it shares', () => {
    const run = daemon.berth(['run', '--name', 'sized', 'busybox', 'sh', '-c', 'head -c 300000 /dev/zero > /written']);
    try {
      assert.equal(run.status, 0, run.stderr);
      const table = daemon.berth(['ps', '-a', '-s', '--filter', 'name=sized']).stdout.split('\n');
      assert.match(table[0]!, /\sSIZE$/);
      // docker's form: writable layer, then the whole size (image included) in parentheses.
      const size = /\s(\d+(?:\.\d+)?)(kB|MB) \(virtual (\d+(?:\.\d+)?)(kB|MB)\)$/.exec(table[1]!);
      assert.ok(size, table[1]);
      const bytes = (value: string, unit: string) => Number(value) * (unit === 'MB' ? 1e6 : 1e3);
      assert.ok(bytes(size[1]!, size[2]!) >= 300_000 && bytes(size[1]!, size[2]!) < 400_000, table[1]);
      assert.ok(bytes(size[3]!, size[4]!) > bytes(size[1]!, size[2]!), table[1]);
      const json = JSON.parse(daemon.berth(['ps', '-a', '-s', '--filter', 'name=sized', '--format', 'json']).stdout) as { Size: string };
      assert.match(json.Size, /\(virtual /);
    } finally {
      daemon.berth(['rm', '-f', 'sized']);
    }
  });

  test('export writes the container rootfs as a tar', () => {
    const id = daemon.berth(['create', 'busybox', 'true']).stdout.trim();
    try {
      const out = join(daemon.dir, 'export.tar');
      const exported = daemon.berth(['export', '-o', out, id]);
      assert.equal(exported.status, 0, exported.stderr);
      const listing = spawnSync('tar', ['-tf', out], { encoding: 'utf8' }).stdout as string;
      assert.match(listing, /^bin\/busybox$/m);
      assert.match(listing, /^etc\/passwd$/m);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('events streams container events with filters', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = daemon.berth(['run', '-d', '--name', 'ev', 'busybox', 'true']).stdout.trim();
    await waitFor(() => daemon.berth(['inspect', '-f', '{{.State.Status}}', 'ev']).stdout === 'exited\n');
    daemon.berth(['rm', 'ev']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const events = daemon.berth(['events', '--since', String(since), '--until', String(until), '--filter', 'container=ev', '--format', '{{.Action}}']);
    assert.equal(events.status, 0, events.stderr);
    const actions = events.stdout.trim().split('\n');
    const positions = ['create', 'start', 'die', 'destroy'].map((action) => actions.indexOf(action));
    assert.ok(positions.every((position) => position >= 0), events.stdout);
    assert.deepEqual([...positions].sort((x, y) => x - y), positions, 'in the order they happened');
    assert.match(id, /^[0-9a-f]{64}$|^$/);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(check: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

/** Runs the CLI without blocking the event loop (for commands that wait). */
function runCli(daemon: TestDaemon, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BERTH_CLI[0]!, [...BERTH_CLI.slice(1), ...args], { env: { ...process.env, BERTH_HOST: daemon.host } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}
