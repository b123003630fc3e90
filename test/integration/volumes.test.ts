import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';

describe('volumes', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });
  const names = (): string[] => daemon.berth(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean).sort();
  const cleanUp = (containers: string[], volumes: string[]): void => {
    if (containers.length) daemon.berth(['rm', '-f', ...containers]);
    if (volumes.length) daemon.berth(['volume', 'rm', '-f', ...volumes]);
  };

  test('a named volume keeps its files across containers and is created on first use', () => {
    try {
      const write = daemon.berth(['run', '--rm', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo kept > /data/file']);
      assert.equal(write.status, 0, write.stderr);
      assert.deepEqual(names(), ['keep']);
      assert.equal(daemon.berth(['run', '--rm', '--mount', 'type=volume,source=keep,target=/again', 'busybox', 'cat', '/again/file']).stdout, 'kept\n');
      const ro = daemon.berth(['run', '--rm', '-v', 'keep:/data:ro', 'busybox', 'touch', '/data/x']);
      assert.match(ro.stderr, /Read-only file system/);
    } finally {
      cleanUp([], ['keep']);
    }
  });

  test("a new volume gets the image's content at its path, with owners and modes; nocopy skips it", () => {
    const work = mkdtempSync(join(tmpdir(), 'berth-copyup-'));
    const image = 'copyup:test';
    try {
      // An image whose /seed belongs to 1234:55 with a private file, built from busybox's own files.
      const base = daemon.berth(['create', 'busybox']).stdout.trim();
      const tarFile = join(work, 'image.tar');
      const out = daemon.berth(['export', '-o', tarFile, base]);
      assert.equal(out.status, 0, out.stderr);
      daemon.berth(['rm', base]);
      const seed = join(work, 'seed');
      spawnSync('mkdir', ['-p', join(seed, 'inner')]);
      spawnSync('sh', ['-c', `echo secret > ${join(seed, 'inner', 'file')} && chmod 600 ${join(seed, 'inner', 'file')} && chmod 750 ${seed}`]);
      const appended = spawnSync('tar', ['--append', '-f', tarFile, '-C', work, '--owner=1234', '--group=55', 'seed']);
      assert.equal(appended.status, 0, appended.stderr?.toString());
      assert.equal(daemon.berth(['import', tarFile, image]).status, 0);
      const listing = daemon.berth(['run', '--rm', '-v', 'filled:/seed', image, 'sh', '-c', 'ls -lnd /seed; ls -ln /seed/inner; cat /seed/inner/file']);
      assert.match(listing.stdout, /^drwxr-x---\s+\d+ 1234\s+55 .* \/seed\n/, listing.stderr);
      assert.match(listing.stdout, /-rw-------\s+1 1234\s+55 .* file\nsecret\n$/);
      const once = daemon.berth(['run', '--rm', '-v', 'filled:/seed', image, 'sh', '-c', 'rm /seed/inner/file; ls /seed/inner | wc -l']);
      assert.equal(once.stdout.trim(), '0', 'a volume that is not empty gets no copy');
      const skipped = daemon.berth(['run', '--rm', '-v', 'bare:/seed:nocopy', image, 'ls', '-A', '/seed']);
      assert.equal(skipped.stdout, '');
    } finally {
      cleanUp([], ['filled', 'bare']);
      daemon.berth(['rmi', image]);
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('rm -v and --rm remove anonymous volumes but keep named ones', () => {
    try {
      const id = daemon.berth(['run', '-d', '-v', '/anon', '-v', 'named:/named', 'busybox', 'true']).stdout.trim();
      daemon.berth(['wait', id]);
      const [anonymous] = names().filter((name) => name !== 'named');
      assert.match(anonymous ?? '', /^[0-9a-f]{64}$/);
      const labels = JSON.parse(daemon.berth(['volume', 'inspect', '-f', '{{json .Labels}}', anonymous!]).stdout) as Record<string, string>;
      assert.deepEqual(labels, { 'com.docker.volume.anonymous': '' });
      assert.equal(daemon.berth(['rm', '-v', id]).status, 0);
      assert.deepEqual(names(), ['named']);
      assert.equal(daemon.berth(['run', '--rm', '-v', '/anon2', '-v', 'named:/named', 'busybox', 'true']).status, 0);
      assert.deepEqual(names(), ['named']);
      const kept = daemon.berth(['run', '-d', '-v', '/anon3', 'busybox', 'true']).stdout.trim();
      daemon.berth(['wait', kept]);
      daemon.berth(['rm', kept]);
      assert.equal(names().length, 2, 'rm without -v keeps the anonymous volume');
    } finally {
      cleanUp([], names());
    }
  });

  test("a volume in use cannot be removed (409, exit 1, docker's words); prune takes anonymous ones unless -a", async () => {
    let user = '';
    try {
      user = daemon.berth(['create', '-v', 'busy:/data', 'busybox']).stdout.trim();
      const refused = daemon.berth(['volume', 'rm', 'busy']);
      assert.equal(refused.status, 1);
      assert.equal(refused.stderr, `Error response from daemon: remove busy: volume is in use - [${user}]\n`);
      assert.equal((await daemon.api('DELETE', '/v1.44/volumes/busy')).status, 409);
      if (hasDockerCli) {
        const docker = daemon.docker(['volume', 'rm', '-f', 'busy']);
        assert.equal(docker.status, 1);
        assert.equal(docker.stderr, `Error response from daemon: remove busy: volume is in use - [${user}]\n`);
      }
      daemon.berth(['rm', user]);
      user = '';
      assert.equal(daemon.berth(['volume', 'create', '--label', 'keep=1', 'labelled']).stdout, 'labelled\n');
      const anonymous = daemon.berth(['run', '-d', '-v', '/anon', 'busybox', 'true']).stdout.trim();
      daemon.berth(['wait', anonymous]);
      daemon.berth(['rm', anonymous]);
      const anonymousName = names().find((name) => name !== 'busy' && name !== 'labelled');
      const pruned = daemon.berth(['volume', 'prune', '-f']);
      assert.equal(pruned.stdout, `Deleted Volumes:\n${anonymousName}\n\nTotal reclaimed space: 0B\n`);
      const all = daemon.berth(['volume', 'prune', '-a', '-f', '--filter', 'label!=keep=1']);
      assert.equal(all.stdout, 'Deleted Volumes:\nbusy\n\nTotal reclaimed space: 0B\n');
      assert.deepEqual(names(), ['labelled']);
    } finally {
      cleanUp(user ? [user] : [], names());
    }
  });

  test('system prune --volumes takes stopped containers and their unused anonymous volumes, never named ones', () => {
    const stopped = daemon.berth(['run', '-d', '-v', '/scratch', '-v', 'kept-by-prune:/kept', 'busybox', 'true']).stdout.trim();
    try {
      daemon.berth(['wait', stopped]);
      const anonymous = names().find((name) => /^[0-9a-f]{64}$/.test(name));
      assert.ok(anonymous, names().join(','));
      const pruned = daemon.berth(['system', 'prune', '-f', '--volumes']);
      assert.equal(pruned.status, 0, pruned.stderr);
      assert.match(pruned.stdout, new RegExp(`^Deleted Containers:\\n${stopped}\\n\\nDeleted Volumes:\\n${anonymous}\\n\\n`));
      assert.match(pruned.stdout, /Total reclaimed space: /);
      assert.deepEqual(names(), ['kept-by-prune']);
    } finally {
      cleanUp([stopped], names());
    }
  });

  test('volume events, system df and the docker CLI agree with berth', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    try {
      const run = daemon.berth(['run', '--rm', '-v', 'evented:/data', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /data/blob']);
      assert.equal(run.status, 0, run.stderr);
      daemon.berth(['volume', 'rm', 'evented']);
      const until = Math.ceil(Date.now() / 1000) + 1;
      const answer = await daemon.api('GET', `/v1.44/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["volume"]}')}`);
      const actions = answer.body.toString().trim().split('\n')
        .map((line) => JSON.parse(line) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } })
        .filter((event) => event.Actor.ID === 'evented');
      assert.deepEqual(actions.map((event) => `${event.Action} ${event.Actor.ID}`), ['create evented', 'mount evented', 'unmount evented', 'destroy evented']);
      assert.equal(actions[1]!.Actor.Attributes.destination, '/data');
      daemon.berth(['volume', 'create', 'sized']);
      daemon.berth(['run', '--rm', '-v', 'sized:/data', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /data/blob']);
      const df = daemon.berth(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}}']);
      assert.match(df.stdout, /^Local Volumes 1 0 5kB$/m);
      if (hasDockerCli) {
        assert.equal(daemon.docker(['volume', 'ls']).stdout, daemon.berth(['volume', 'ls']).stdout);
        assert.equal(daemon.docker(['volume', 'inspect', 'sized']).stdout, daemon.berth(['volume', 'inspect', 'sized']).stdout);
      }
    } finally {
      cleanUp([], names());
    }
  });
});
