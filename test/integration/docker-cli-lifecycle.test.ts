import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon, type CommandResult } from '../helpers/daemon.js';

/**
 * The docker CLI commands of the container lifecycle that docker-cli.test.ts leaves
 * out: create/start, top, port, rename, pause/unpause, kill, wait, restart, attach,
 * events, history, export/import and system prune, each with the flags people use.
 */
describe('the real docker CLI against berthd: the rest of the lifecycle', { skip: (!isRoot && 'needs root') || (!hasDockerCli && 'docker CLI not installed') }, () => {
  let daemon: TestDaemon;
  const docker = (args: string[], input?: string): CommandResult => daemon.docker(args, { input });
  const ok = (args: string[]): string => {
    const result = docker(args);
    assert.equal(result.status, 0, `docker ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const state = (name: string): string => ok(['inspect', '-f', '{{.State.Status}}', name]).trim();

  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('create, start, top, port, rename, pause, unpause, kill, wait, restart, stop', () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = ok(['create', '--name', 'life', 'busybox', 'sh', '-c', 'echo up; exec sleep 300']).trim();
    try {
      assert.match(id, /^[0-9a-f]{64}$/);
      assert.equal(state('life'), 'created');
      assert.equal(ok(['start', 'life']), 'life\n');
      assert.equal(state('life'), 'running');

      const top = ok(['top', 'life']).split('\n');
      assert.match(top[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.ok(top.some((line) => /\ssleep 300$/.test(line)), top.join('\n'));
      assert.match(ok(['top', 'life', '-o', 'pid,comm']), /^\s*PID\s+COMMAND\n\s*\d+\s+sleep\n$/);

      // No published ports (berth has no bridge network yet): nothing, and success.
      assert.equal(ok(['port', 'life']), '');

      ok(['rename', 'life', 'renamed']);
      assert.equal(ok(['ps', '--filter', `id=${id}`, '--format', '{{.Names}}']), 'renamed\n');

      ok(['pause', 'renamed']);
      assert.equal(state('renamed'), 'paused');
      assert.match(ok(['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}']), /^renamed Up .* \(Paused\)\n$/);
      ok(['unpause', 'renamed']);
      assert.equal(state('renamed'), 'running');

      ok(['kill', '--signal', 'KILL', 'renamed']);
      assert.equal(ok(['wait', 'renamed']), '137\n');
      assert.equal(state('renamed'), 'exited');

      assert.equal(ok(['restart', '-t', '1', 'renamed']), 'renamed\n');
      assert.equal(state('renamed'), 'running');
      assert.equal(ok(['stop', '-t', '1', 'renamed']), 'renamed\n');
      assert.equal(state('renamed'), 'exited');

      const until = Math.floor(Date.now() / 1000) + 1;
      const actions = ok(['events', '--since', String(since), '--until', String(until), '--filter', `container=${id}`, '--format', '{{.Action}}'])
        .split('\n').filter(Boolean).filter((action) => !action.startsWith('exec_'));
      for (const expected of ['create', 'start', 'rename', 'pause', 'unpause', 'kill', 'die', 'restart', 'stop']) {
        assert.ok(actions.includes(expected), `${expected} in ${actions.join(',')}`);
      }
      assert.ok(actions.indexOf('create') < actions.indexOf('start') && actions.indexOf('pause') < actions.indexOf('unpause'), actions.join(','));
      const json = JSON.parse(ok(['events', '--since', String(since), '--until', String(until), '--filter', 'event=rename', '--format', '{{json .}}']).trim()) as { Actor: { Attributes: Record<string, string> } };
      assert.equal(json.Actor.Attributes.oldName, '/life');
      assert.equal(json.Actor.Attributes.name, 'renamed');
    } finally {
      docker(['rm', '-f', id]);
    }
  });

  test('attach follows a running container to its end and takes its exit code; wait on several', () => {
    const id = ok(['run', '-d', 'busybox', 'sh', '-c', 'sleep 1; echo late; echo to-err >&2; exit 4']).trim();
    try {
      const attached = docker(['attach', id]);
      assert.equal(attached.stdout, 'late\n');
      assert.equal(attached.stderr, 'to-err\n');
      assert.equal(attached.status, 4);
      const other = ok(['run', '-d', 'busybox', 'sh', '-c', 'exit 9']).trim();
      try {
        assert.equal(ok(['wait', id, other]), '4\n9\n');
      } finally {
        docker(['rm', other]);
      }
    } finally {
      docker(['rm', '-f', id]);
    }
  });

  test('history, export piped to import, and the imported image runs', () => {
    const history = ok(['history', 'busybox']).split('\n');
    assert.match(history[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.ok(history.length >= 2);
    assert.ok(ok(['history', '--no-trunc', '--format', '{{.ID}}', 'busybox']).startsWith('sha256:'));

    ok(['create', '--name', 'exported', 'busybox', 'true']);
    try {
      const env = { ...process.env, DOCKER_HOST: daemon.host, DOCKER_CONFIG: join(daemon.dir, 'docker-config') };
      const pipe = spawnSync('sh', ['-c', 'docker export exported | docker import --change "CMD [\\"cat\\", \\"/etc/hostname\\"]" - imported:from-export'], { env, encoding: 'utf8' });
      assert.equal(pipe.status, 0, pipe.stderr);
      assert.match(pipe.stdout, /^sha256:[0-9a-f]{64}\n$/);
      const ran = docker(['run', '--rm', '--hostname', 'from-import', 'imported:from-export']);
      assert.equal(ran.stdout, 'from-import\n', ran.stderr);
      assert.equal(ok(['history', '--format', '{{.Comment}}', 'imported:from-export']), 'Imported from -\n');
    } finally {
      docker(['rm', '-f', 'exported']);
      docker(['rmi', 'imported:from-export']);
    }
  });

  test('system prune -f removes stopped containers and says what it reclaimed', () => {
    const stopped = ok(['run', '-d', 'busybox', 'true']).trim();
    ok(['wait', stopped]);
    const running = ok(['run', '-d', 'busybox', 'sleep', '300']).trim();
    try {
      const prune = ok(['system', 'prune', '-f']);
      assert.match(prune, new RegExp(`Deleted Containers:\\n${stopped}\\n`));
      assert.match(prune, /Total reclaimed space: /);
      assert.equal(docker(['inspect', stopped]).status, 1);
      assert.equal(state(running), 'running');
    } finally {
      docker(['rm', '-f', running]);
    }
  });
});
