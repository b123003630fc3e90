import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';

/** Mount lines of the host that mention a path (a leak shows up here). */
const hostMountsUnder = (path: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(path));

describe('bind mounts and tmpfs', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  let host: string;
  before(async () => {
    daemon = await TestDaemon.start();
    host = mkdtempSync(join(tmpdir(), 'berth-binds-'));
  });
  after(async () => {
    await daemon?.stop();
    if (host) rmSync(host, { recursive: true, force: true });
  });

  test('a read-write bind shares files both ways; a read-only one refuses writes', () => {
    writeFileSync(join(host, 'from-host'), 'hello\n');
    const rw = daemon.berth(['run', '--rm', '-v', `${host}:/mnt`, 'busybox', 'sh', '-c', 'cat /mnt/from-host; echo back > /mnt/from-container']);
    assert.equal(rw.stdout, 'hello\n', rw.stderr);
    assert.equal(readFileSync(join(host, 'from-container'), 'utf8'), 'back\n');
    const ro = daemon.berth(['run', '--rm', '-v', `${host}:/mnt:ro`, 'busybox', 'touch', '/mnt/nope']);
    assert.equal(ro.status, 1);
    assert.match(ro.stderr, /Read-only file system/);
    assert.equal(existsSync(join(host, 'nope')), false);
  });

  test('a file can be bound, even over the /etc/hosts docker generates', () => {
    writeFileSync(join(host, 'hosts'), '10.1.2.3 custom\n');
    const run = daemon.berth(['run', '--rm', '-v', `${join(host, 'hosts')}:/etc/hosts:ro`, 'busybox', 'cat', '/etc/hosts']);
    assert.equal(run.stdout, '10.1.2.3 custom\n', run.stderr);
  });

  test('-v creates a missing host directory, as docker does', () => {
    const missing = join(host, 'made', 'by', 'berth');
    const run = daemon.berth(['run', '--rm', '-v', `${missing}:/data`, 'busybox', 'touch', '/data/x']);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(statSync(missing).isDirectory());
    assert.ok(existsSync(join(missing, 'x')));
  });

  test('--mount binds with readonly, and --read-only containers still write to their binds and tmpfs', () => {
    const ro = daemon.berth(['run', '--rm', '--mount', `type=bind,source=${host},target=/m,readonly`, 'busybox', 'touch', '/m/x']);
    assert.match(ro.stderr, /Read-only file system/);
    const readOnlyRoot = daemon.berth(['run', '--rm', '--read-only', '-v', `${host}:/m`, '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'touch /m/rw-ok /scratch/ok && echo fine; touch /root-file']);
    assert.equal(readOnlyRoot.stdout, 'fine\n');
    assert.match(readOnlyRoot.stderr, /Read-only file system/);
    assert.ok(existsSync(join(host, 'rw-ok')));
  });

  test('tmpfs size and mode reach the mount, from --tmpfs and from --mount', () => {
    const flag = daemon.berth(['run', '--rm', '--tmpfs', '/t:size=1m,mode=700', 'busybox', 'grep', ' /t ', '/proc/mounts']);
    assert.match(flag.stdout, /^tmpfs \/t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=700 0 0\n$/, flag.stderr);
    const mount = daemon.berth(['run', '--rm', '--mount', 'type=tmpfs,target=/t,tmpfs-size=2m,tmpfs-mode=750', 'busybox', 'grep', ' /t ', '/proc/mounts']);
    assert.match(mount.stdout, /size=2048k,mode=750 /, mount.stderr);
  });

  test("inspect shows Mounts and HostConfig as docker does", { skip: !hasDockerCli && 'needs the docker CLI' }, () => {
    const id = daemon.berth(['create', '-v', `${host}:/b:ro`, '--tmpfs', '/t:size=1m', '--mount', `type=bind,source=${host},target=/m`, 'busybox']).stdout.trim();
    try {
      const mounts = JSON.parse(daemon.docker(['inspect', '-f', '{{json .Mounts}}', id]).stdout) as object[];
      assert.deepEqual(mounts, [
        { Type: 'bind', Source: host, Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' },
        { Type: 'bind', Source: host, Destination: '/m', Mode: '', RW: true, Propagation: 'rprivate' },
        { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
      ]);
      const hostConfig = JSON.parse(daemon.docker(['inspect', '-f', '{{json .HostConfig}}', id]).stdout) as Record<string, unknown>;
      assert.deepEqual(hostConfig.Binds, [`${host}:/b:ro`]);
      assert.deepEqual(hostConfig.Tmpfs, { '/t': 'size=1m' });
      assert.deepEqual(hostConfig.Mounts, [{ Type: 'bind', Source: host, Target: '/m' }]);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test("bad mounts are refused with docker's message and exit 125, leaving nothing behind", () => {
    const mountsBefore = hostMountsUnder(daemon.dir).length;
    const cases: [string[], RegExp][] = [
      [['-v', `${host}:relative`], /invalid volume specification: '.*:relative': invalid mount config for type "bind": invalid mount path: 'relative' mount path must be absolute/],
      [['-v', `${host}:/`], /invalid specification: destination can't be '\/'/],
      [['-v', `${host}:/x`, '-v', `${host}:/x`], /Duplicate mount point: \/x/],
      [['--mount', 'type=bind,source=/no/such/berth/path,target=/x'], /invalid mount config for type "bind": bind source path does not exist: \/no\/such\/berth\/path/],
      [['--mount', 'type=bind,target=/x'], /invalid mount config for type "bind": field Source must not be empty/],
      [['--mount', 'type=floppy,target=/x'], /invalid mount config for type "floppy": mount type unknown/],
      [['--mount', 'type=tmpfs,target=/t,tmpfs-size=lots'], /invalid argument "type=tmpfs,target=\/t,tmpfs-size=lots" for "--mount" flag: invalid value for tmpfs-size: lots/],
      [['--tmpfs', '/t:size=lots'], /Invalid tmpfs option "size=lots"/],
      [['-v', 'fresh-volume:/data', '--mount', 'type=volume,source=b@d,target=/other'], /create b@d: "b@d" includes invalid characters for a local volume name/],
    ];
    for (const [flags, expected] of cases) {
      const run = daemon.berth(['run', '--rm', ...flags, 'busybox', 'true']);
      assert.equal(run.status, 125, `${flags.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, expected);
    }
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '');
    assert.equal(daemon.berth(['volume', 'ls', '-q']).stdout, '', 'the volume a failed create made is taken back');
    assert.equal(hostMountsUnder(daemon.dir).length, mountsBefore);
  });
});
