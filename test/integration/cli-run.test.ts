import { readFileSync, readlinkSync } from 'node:fs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, TestDaemon } from '../helpers/daemon.js';

describe('berth run', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('runs a command and removes the container with --rm', () => {
    const run = daemon.berth(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'hello\n');
    assert.equal(run.status, 0);
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '');
  });

  test('keeps stdout and stderr apart', () => {
    const run = daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(run.stdout, 'out\n');
    assert.equal(run.stderr, 'err\n');
  });

  test('exits with the container exit code, 128+N when killed by signal N', () => {
    assert.equal(daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']).status, 3);
    // pid 1 ignores signals from inside its namespace, so the signal comes from outside.
    const id = daemon.berth(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      assert.equal(daemon.berth(['kill', '-s', 'KILL', id]).status, 0);
      assert.equal(daemon.berth(['wait', id]).stdout, '137\n');
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('127 for a command that does not exist, 126 for one that is not executable', () => {
    const missing = daemon.berth(['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(missing.status, 127, missing.stderr);
    assert.match(missing.stderr, /no-such-command/);
    const notExecutable = daemon.berth(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(notExecutable.status, 126, notExecutable.stderr);
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '', 'a failed --rm run leaves no container');
  });

  test('pipes stdin with -i and ends when stdin ends', () => {
    const run = daemon.berth(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
    assert.equal(run.stdout, 'line one\nline two\ndone\n');
    assert.equal(run.status, 0);
  });

  test('user, working directory, environment and hostname', () => {
    const run = daemon.berth(['run', '--rm', '-u', 'nobody', '-w', '/tmp/work', '-e', 'GREETING=hi there', '-h', 'box1', 'busybox', 'sh', '-c', 'id; pwd; echo "$GREETING"; hostname; cat /etc/hostname']);
    assert.equal(run.stdout, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/tmp/work\nhi there\nbox1\nbox1\n');
    const numeric = daemon.berth(['run', '--rm', '-u', '1234:33', 'busybox', 'id', '-u']);
    assert.equal(numeric.stdout, '1234\n');
    const unknown = daemon.berth(['run', '--rm', '-u', 'ghost', 'busybox', 'true']);
    assert.equal(unknown.status, 125);
    assert.match(unknown.stderr, /unable to find user ghost/);
  });

  test('the image environment has PATH and HOME; --env overrides', () => {
    const run = daemon.berth(['run', '--rm', '-e', 'HOME=/elsewhere', 'busybox', 'sh', '-c', 'echo $PATH; echo $HOME']);
    assert.equal(run.stdout, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/elsewhere\n');
  });

  test('--read-only makes the root file system read-only', () => {
    const run = daemon.berth(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Read-only file system/);
    assert.equal(daemon.berth(['run', '--rm', 'busybox', 'touch', '/x']).status, 0);
  });

  test("docker's default capabilities, --cap-drop, --cap-add and --privileged", () => {
    const capEff = (args: string[]): string => daemon.berth(['run', '--rm', ...args, 'busybox', 'sh', '-c', 'grep CapEff /proc/self/status']).stdout.trim().split(/\s+/)[1] ?? '';
    assert.equal(capEff([]), '00000000a80425fb');
    assert.equal(capEff(['--cap-drop', 'ALL']), '0000000000000000');
    assert.equal(capEff(['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN']), '0000000000001000');
    // Everything the host can grant: berthd's own bounding set (this test runs with the same).
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    assert.equal(capEff(['--privileged']), bounding);
    assert.equal(capEff(['--cap-add', 'ALL']), bounding);
    const bad = daemon.berth(['run', '--rm', '--cap-add', 'NOT_A_CAP', 'busybox', 'true']);
    assert.equal(bad.status, 125);
  });

  test('masked and read-only paths under /proc', () => {
    assert.equal(daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'cat /proc/kcore | wc -c']).stdout.trim(), '0');
    const write = daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo 1 > /proc/sys/vm/drop_caches']);
    assert.notEqual(write.status, 0);
    assert.match(write.stderr, /Read-only file system/);
    assert.equal(daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'grep " /sys " /proc/mounts | grep -c "ro,"']).stdout.trim(), '1');
  });

  test('namespaces: own pid, uts, ipc, mount, cgroup and network', () => {
    assert.equal(daemon.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo $$']).stdout, '1\n');
    const links = daemon.berth(['run', '--rm', 'busybox', 'ip', '-o', 'link']).stdout;
    assert.match(links, /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    assert.equal(links.trim().split('\n').length, 1, 'only loopback with --network none');
    const hostLinks = daemon.berth(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']).stdout;
    assert.ok(hostLinks.trim().split('\n').length > 1, 'the host network has more than loopback');
    for (const ns of ['pid', 'uts', 'ipc', 'mnt', 'cgroup', 'net']) {
      const inside = daemon.berth(['run', '--rm', 'busybox', 'readlink', `/proc/self/ns/${ns}`]).stdout.trim();
      assert.notEqual(inside, '', ns);
      assert.notEqual(inside, readlinkHost(ns), `${ns} namespace is the container's own`);
    }
  });

  test('generated /etc/hosts and /etc/resolv.conf', () => {
    const hosts = daemon.berth(['run', '--rm', '-h', 'web1', '--add-host', 'db:127.0.0.7', 'busybox', 'cat', '/etc/hosts']).stdout;
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(hosts, /^127\.0\.0\.7\tdb$/m);
    assert.match(hosts, /web1/);
    const resolv = daemon.berth(['run', '--rm', '--dns', '127.0.0.53', 'busybox', 'cat', '/etc/resolv.conf']).stdout;
    assert.equal(resolv, 'nameserver 127.0.0.53\n');
  });

  test('entrypoint and command follow docker: --entrypoint drops the image command', () => {
    assert.equal(daemon.berth(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b']).stdout, 'a b\n');
    assert.equal(daemon.berth(['run', '--rm', '--entrypoint', 'pwd', 'busybox']).stdout, '/\n');
  });

  test('bad input gets docker errors and exit 125 and leaves nothing behind', () => {
    const memory = daemon.berth(['run', '--rm', '-m', 'foo', 'busybox', 'true']);
    assert.equal(memory.status, 125);
    assert.match(memory.stderr, /invalid argument "foo" for "-m, --memory" flag/);
    const tooSmall = daemon.berth(['run', '--rm', '-m', '1m', 'busybox', 'true']);
    assert.equal(tooSmall.status, 125);
    assert.match(tooSmall.stderr, /Minimum memory limit allowed is 6MB/);
    const name = daemon.berth(['run', '--rm', '--name', 'bad name!', 'busybox', 'true']);
    assert.equal(name.status, 125);
    assert.match(name.stderr, /Invalid container name/);
    // A registry on loopback that nothing listens on: the pull this starts must not leave the machine.
    const image = daemon.berth(['run', '--rm', '127.0.0.1:9/no-such-image-here', 'true']);
    assert.equal(image.status, 125);
    assert.match(image.stderr, /Unable to find image '127.0.0.1:9\/no-such-image-here:latest' locally/);
    assert.match(image.stderr, /dial tcp 127\.0\.0\.1:9: connect: connection refused/);
    const runtime = daemon.berth(['run', '--rm', '--runtime', 'nope', 'busybox', 'true']);
    assert.equal(runtime.status, 125);
    assert.match(runtime.stderr, /unknown or invalid runtime name: nope/);
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '');
    assert.deepEqual(mountsUnder(daemon.dir), []);
  });

  test('a name already in use is refused with 409', () => {
    assert.equal(daemon.berth(['create', '--name', 'taken', 'busybox', 'true']).status, 0);
    try {
      const again = daemon.berth(['run', '--name', 'taken', 'busybox', 'true']);
      assert.equal(again.status, 125);
      assert.match(again.stderr, /^berth: Error response from daemon: Conflict\. The container name "\/taken" is already in use by container/);
      assert.match(again.stderr, /Run 'berth run --help' for more information\n$/);
      // docker's create prints the daemon's refusal as it is and exits 1.
      const create = daemon.berth(['create', '--name', 'taken', 'busybox', 'true']);
      assert.equal(create.status, 1);
      assert.match(create.stderr, /^Error response from daemon: Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/);
    } finally {
      daemon.berth(['rm', '-f', 'taken']);
    }
  });

  test('runc is selectable per container and crun is the default', async () => {
    const viaRunc = daemon.berth(['run', '--rm', '--runtime', 'runc', 'busybox', 'echo', 'from runc']);
    assert.equal(viaRunc.stdout, 'from runc\n', viaRunc.stderr);
    const id = daemon.berth(['create', 'busybox', 'true']).stdout.trim();
    try {
      assert.equal(daemon.berth(['inspect', '-f', '{{.HostConfig.Runtime}}', id]).stdout.trim(), 'crun');
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
  });

  test('each runtime runs from a sealed copy berthd holds, not from its file', async () => {
    for (const runtime of ['crun', 'runc']) {
      const id = daemon.berth(['run', '-d', '--runtime', runtime, 'busybox', 'sleep', '60']).stdout.trim();
      try {
        const conmonPid = readFileSync(join(daemon.dataRoot, 'containers', id, 'conmon.pid'), 'utf8').trim();
        const conmonArgs = readFileSync(`/proc/${conmonPid}/cmdline`, 'utf8').split('\0');
        const runtimePath = conmonArgs[conmonArgs.indexOf('-r') + 1]!;
        const holder = /^\/proc\/(\d+)\/fd\/\d+$/.exec(runtimePath)?.[1];
        assert.ok(holder, `conmon runs ${runtimePath}`);
        assert.ok(readFileSync(`/proc/${holder}/cmdline`, 'utf8').includes(daemon.dataRoot), 'the copy is held by this test\'s berthd');
        assert.equal(readlinkSync(runtimePath), `/memfd:${runtime} (deleted)`);
        assert.equal(daemon.berth(['exec', id, 'echo', `exec by ${runtime}`]).stdout, `exec by ${runtime}\n`);
      } finally {
        daemon.berth(['rm', '-f', id]);
      }
    }
  });
});


function readlinkHost(ns: string): string {
  return readlinkSync(`/proc/self/ns/${ns}`);
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((target) => target.startsWith(dir));
}
