import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTH_CLI, hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs a command line inside a real pty (util-linux `script`) with a given size. */
function inPty(commandLine: string, env: Record<string, string>, input = ''): { status: number; output: string } {
  const run = spawnSync('script', ['-qec', `stty rows 33 cols 101; ${commandLine}`, '/dev/null'], {
    encoding: 'utf8', input, env: { ...process.env, ...env }, timeout: 60_000,
  });
  return { status: run.status ?? 1, output: run.stdout };
}

describe('interactive containers with a tty', { skip: (!isRoot && 'needs root') || (!hasScript && 'needs script(1)') }, () => {
  let daemon: TestDaemon;
  let berth: string;
  before(async () => {
    daemon = await TestDaemon.start();
    berth = BERTH_CLI.join(' ');
  });
  after(async () => {
    await daemon?.stop();
  });

  test('run -it gets a tty of the client terminal size', () => {
    const run = inPty(`${berth} run --rm -it busybox sh -c 'tty; stty size; exit 4'`, { BERTH_HOST: daemon.host });
    assert.equal(run.status, 4, run.output);
    assert.match(run.output, /\/dev\/pts\/0/);
    assert.match(run.output, /33 101/);
  });

  test('an interactive shell reads what is typed', () => {
    const run = inPty(`${berth} run --rm -it busybox sh`, { BERTH_HOST: daemon.host }, 'echo $((6*7))\nexit 0\n');
    assert.match(run.output, /42/);
  });

  test('exec -it into a running container', () => {
    const id = daemon.berth(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      const run = inPty(`${berth} exec -it ${id} sh -c 'tty; stty size; exit 3'`, { BERTH_HOST: daemon.host });
      assert.equal(run.status, 3, run.output);
      assert.match(run.output, /\/dev\/pts\/\d+/);
      assert.match(run.output, /33 101/);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('the docker CLI runs -it against berthd', { skip: !hasDockerCli && 'docker CLI not installed' }, () => {
    const run = inPty(`docker run --rm -it busybox sh -c 'tty; stty size; exit 5'`, { DOCKER_HOST: daemon.host, DOCKER_CONFIG: join(daemon.dir, 'docker-config') });
    assert.equal(run.status, 5, run.output);
    assert.match(run.output, /\/dev\/pts\/0/);
    assert.match(run.output, /33 101/);
  });
});
