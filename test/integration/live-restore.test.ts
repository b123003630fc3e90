import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, TestDaemon } from '../helpers/daemon.js';

describe('containers outlive berthd', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('SIGKILL of berthd: running containers keep running and are adopted at restart', async () => {
    const long = daemon.berth(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'while true; do echo alive; sleep 0.2; done']).stdout.trim();
    const short = daemon.berth(['run', '-d', '--name', 'finisher', 'busybox', 'sh', '-c', 'sleep 1; exit 7']).stdout.trim();
    const pid = Number(daemon.berth(['inspect', '-f', '{{.State.Pid}}', long]).stdout);
    await daemon.halt('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.doesNotThrow(() => process.kill(pid, 0), 'the container process survived its daemon');
    await daemon.launch();
    assert.equal(daemon.berth(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor']).stdout, `running ${pid}\n`);
    assert.equal(daemon.berth(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'finisher']).stdout, 'exited 7\n', 'an exit while berthd was down is recorded');
    const logs = daemon.berth(['logs', '--tail', '1', 'survivor']);
    assert.equal(logs.stdout, 'alive\n');
    assert.equal(daemon.berth(['stop', '-t', '1', 'survivor']).status, 0);
    assert.equal(daemon.berth(['inspect', '-f', '{{.State.Running}}', 'survivor']).stdout, 'false\n');
    daemon.berth(['rm', '-f', long, short]);
  });

  test('the pid file: a live berthd refuses a second one; a stale pid (a reused one, a zombie) does not', async () => {
    const pidFile = join(daemon.execRoot, 'berthd.pid');
    const second = spawnSync(process.execPath, [join(import.meta.dirname, '../../src/daemon/main.js'), '--data-root', daemon.dataRoot, '--exec-root', daemon.execRoot, '-H', `unix://${daemon.socket}-second`], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(second.status, 0);
    assert.match(second.stderr, /berthd is already running with pid \d+/);
    await daemon.halt('SIGKILL');
    // The pid a killed berthd left behind, now a zombie that nobody reaps: a child of a shell that became `sleep`.
    const holder = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => holder.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /);
      writeFileSync(pidFile, `${zombie}\n`);
      await daemon.launch();
      assert.notEqual(Number(readFileSync(pidFile, 'utf8')), zombie, 'the new berthd took the pid file');
      assert.equal(await daemon.ping(), true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('SIGTERM of berthd leaves containers running too, and the engine keeps its ID', async () => {
    const id = daemon.berth(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
    const engineId = daemon.berth(['info', '--format', '{{.ID}}']).stdout.trim();
    assert.match(engineId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await daemon.halt('SIGTERM');
    await daemon.launch();
    assert.equal(daemon.berth(['info', '--format', '{{.ID}}']).stdout.trim(), engineId);
    assert.equal(daemon.berth(['inspect', '-f', '{{.State.Running}}', id]).stdout, 'true\n');
    assert.equal(daemon.berth(['exec', id, 'echo', 'still here']).stdout, 'still here\n');
    daemon.berth(['rm', '-f', id]);
  });
});
