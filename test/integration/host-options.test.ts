import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, TestDaemon } from '../helpers/daemon.js';

const cgroupV1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
/** A block device of this host, for the per-device I/O limits. */
const blockDevice = (() => {
  const name = readdirSync('/sys/block').find((entry) => existsSync(`/dev/${entry}`));
  return name === undefined ? undefined : { path: `/dev/${name}`, numbers: readFileSync(`/sys/block/${name}/dev`, 'utf8').trim() };
})();

describe('run with namespaces, sysctls, devices and the other host options', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  const run = (args: string[]) => daemon.berth(['run', '--rm', ...args]);

  test('--pid host sees the host processes; --pid container: sees only that container', () => {
    const own = run(['busybox', 'ps', '-o', 'pid']);
    assert.equal(own.stdout.replace(/ +/g, ''), 'PID\n1\n', own.stderr);
    const host = run(['--pid', 'host', 'busybox', 'sh', '-c', `ps -o pid | grep -qx " *${process.pid}" && echo found`]);
    assert.equal(host.stdout, 'found\n', host.stderr);
    const id = daemon.berth(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      const joined = run(['--pid', `container:${id}`, 'busybox', 'ps', '-o', 'comm']);
      assert.match(joined.stdout, /^COMMAND\nsleep\nps\n$/, joined.stderr);
    } finally {
      daemon.berth(['rm', '-f', id]);
    }
    const stopped = run(['--pid', 'container:no-such-container', 'busybox', 'true']);
    assert.equal(stopped.status, 125);
    assert.match(stopped.stderr, /No such container: no-such-container/);
  });

  test('--uts host takes the host name and refuses one of its own', () => {
    assert.equal(run(['--uts', 'host', 'busybox', 'hostname']).stdout, `${hostname()}\n`);
    const conflict = run(['--uts', 'host', '-h', 'box', 'busybox', 'true']);
    assert.equal(conflict.status, 125);
    assert.match(conflict.stderr, /conflicting options: hostname and the UTS mode/);
  });

  test('--ipc none has no /dev/shm, --ipc host shares the host one', () => {
    assert.equal(run(['--ipc', 'none', 'busybox', 'sh', '-c', 'test -e /dev/shm || echo absent']).stdout, 'absent\n');
    const marker = `berth-ipc-test-${process.pid}`;
    try {
      spawnSync('touch', [`/dev/shm/${marker}`]);
      assert.equal(run(['--ipc', 'host', 'busybox', 'ls', `/dev/shm/${marker}`]).stdout, `/dev/shm/${marker}\n`);
    } finally {
      rmSync(`/dev/shm/${marker}`, { force: true });
    }
  });

  test('--ipc container: joins a shareable container\'s IPC namespace and /dev/shm, which lives while the donor runs', () => {
    const donor = daemon.berth(['run', '-d', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo hello > /dev/shm/msg; exec sleep 100']).stdout.trim();
    const shm = join(daemon.dataRoot, 'containers', donor, 'shm');
    try {
      const namespace = (args: string[]) => daemon.berth(args).stdout.trim();
      const joined = run(['--ipc', `container:${donor}`, 'busybox', 'sh', '-c', 'cat /dev/shm/msg; readlink /proc/self/ns/ipc']).stdout.split('\n');
      assert.equal(joined[0], 'hello');
      assert.equal(joined[1], namespace(['exec', donor, 'readlink', '/proc/self/ns/ipc']));
      assert.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${shm} `), 'the donor\'s /dev/shm is a host mount while it runs');
      daemon.berth(['stop', '-t', '0', donor]);
      assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${shm} `), 'and unmounted when it stops');
      const stopped = run(['--ipc', `container:${donor}`, 'busybox', 'true']);
      assert.equal(stopped.status, 125);
      assert.match(stopped.stderr, /cannot join IPC of a non running container/);
    } finally {
      daemon.berth(['rm', '-f', donor]);
    }
    const plain = daemon.berth(['run', '-d', 'busybox', 'sleep', '100']).stdout.trim();
    try {
      assert.match(run(['--ipc', `container:${plain}`, 'busybox', 'true']).stderr, /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
    } finally {
      daemon.berth(['rm', '-f', plain]);
    }
  });

  test('--sysctl sets namespaced kernel parameters and refuses the others', () => {
    const set = run(['--sysctl', 'kernel.shmmax=1000', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'cat', '/proc/sys/kernel/shmmax', '/proc/sys/net/ipv4/ip_forward']);
    assert.equal(set.stdout, '1000\n1\n', set.stderr);
    const global = run(['--sysctl', 'vm.swappiness=1', 'busybox', 'true']);
    assert.equal(global.status, 125);
    assert.match(global.stderr, /sysctl "vm.swappiness" is not in a separate kernel namespace/);
    const hostNet = run(['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'true']);
    assert.match(hostNet.stderr, /not allowed in the host's network namespace/);
  });

  test('--device adds a host device, renamed, with its permissions; a directory adds the devices below it', () => {
    const renamed = run(['--device', '/dev/null:/dev/extra-null:rw', 'busybox', 'sh', '-c', 'stat -c "%t %T %F" /dev/extra-null; echo x > /dev/extra-null && echo written']);
    assert.equal(renamed.stdout, '1 3 character special file\nwritten\n', renamed.stderr);
    if (existsSync('/dev/fuse')) {
      // fuse is not among the devices every container may use, so the mapping's permissions decide.
      const open = (access: string) => run(['--device', `/dev/fuse:/dev/f:${access}`, 'busybox', 'sh', '-c', 'true < /dev/f && echo opened']);
      assert.equal(open('rw').stdout, 'opened\n');
      assert.match(open('w').stderr, /Operation not permitted/);
    }
    const dir = mkdtempSync(join(tmpdir(), 'berth-devices-'));
    try {
      assert.equal(spawnSync('mknod', [join(dir, 'zero'), 'c', '1', '5']).status, 0);
      const many = run(['--device', `${dir}:/dev/mine`, 'busybox', 'sh', '-c', 'head -c 3 /dev/mine/zero | wc -c']);
      assert.equal(many.stdout.trim(), '3', many.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const missing = run(['--device', '/dev/no-such-device', 'busybox', 'true']);
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/);
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '', 'a refused device leaves no container');
  });

  test('--privileged gets the host devices', () => {
    const listed = run(['--privileged', 'busybox', 'ls', '/dev']).stdout.split('\n');
    for (const name of ['null', 'zero', 'loop-control', 'fuse']) {
      if (existsSync(`/dev/${name}`)) assert.ok(listed.includes(name), `/dev/${name} in a privileged container`);
    }
  });

  test('--group-add, --oom-score-adj, --cpuset-mems and --init', () => {
    const groups = run(['-u', 'nobody', '--group-add', 'audio', '--group-add', '4242', 'busybox', 'id', '-G']);
    assert.deepEqual(groups.stdout.trim().split(' ').sort(), ['29', '4242', '65534'].sort(), groups.stderr);
    assert.match(run(['--group-add', 'no-such-group', 'busybox', 'true']).stderr, /Unable to find group no-such-group/);
    assert.equal(run(['--oom-score-adj', '300', 'busybox', 'cat', '/proc/self/oom_score_adj']).stdout, '300\n');
    const mems = run(['--cpuset-mems', '0', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/cpuset/cpuset.mems 2>/dev/null || cat /sys/fs/cgroup/cpuset.mems']);
    assert.equal(mems.stdout, '0\n', mems.stderr);
    const init = run(['--init', 'busybox', 'ps', '-o', 'pid,args']);
    assert.match(init.stdout, /^\s+1 \/sbin\/docker-init -- ps -o pid,args$/m, init.stderr);
  });

  test('per-device I/O limits reach the blkio cgroup', { skip: (!cgroupV1 && 'cgroup v2 names them io.max') || (!blockDevice && 'no block device') }, () => {
    const { path, numbers } = blockDevice!;
    const limited = run(['--device-read-bps', `${path}:1mb`, '--device-write-iops', `${path}:100`, 'busybox', 'cat',
      '/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device', '/sys/fs/cgroup/blkio/blkio.throttle.write_iops_device']);
    assert.equal(limited.stdout, `${numbers} 1048576\n${numbers} 100\n`, limited.stderr);
    const notBlock = run(['--device-read-bps', '/dev/null:1mb', 'busybox', 'true']);
    assert.equal(notBlock.status, 125);
    assert.match(notBlock.stderr, /\/dev\/null is not a block device/);
  });

  test('--device-cgroup-rule allows a device the defaults do not', { skip: !existsSync('/dev/fuse') && 'no /dev/fuse' }, () => {
    const open = ['busybox', 'sh', '-c', 'mknod /tmp/f c 10 229 && true < /tmp/f && echo opened'];
    assert.match(run(open).stderr, /Operation not permitted/);
    assert.equal(run(['--device-cgroup-rule', 'c 10:229 rw', ...open]).stdout, 'opened\n');
    assert.match(run(['--device-cgroup-rule', 'x 1:2 r', 'busybox', 'true']).stderr, /invalid device cgroup format 'x 1:2 r'/);
  });

  test('--volumes-from mounts another container\'s volumes and binds, read-only when asked', () => {
    const bindSource = mkdtempSync(join(tmpdir(), 'berth-volumes-from-'));
    const source = daemon.berth(['run', '-d', '-v', '/data', '-v', `${bindSource}:/shared`, 'busybox', 'sleep', '100']).stdout.trim();
    try {
      const shared = run(['--volumes-from', source, 'busybox', 'sh', '-c', 'echo one > /data/f && echo two > /shared/g && cat /data/f']);
      assert.equal(shared.stdout, 'one\n', shared.stderr);
      assert.equal(readFileSync(join(bindSource, 'g'), 'utf8'), 'two\n');
      assert.equal(daemon.berth(['exec', source, 'cat', '/data/f']).stdout, 'one\n', 'the source container sees the same volume');
      const readOnly = run(['--volumes-from', `${source}:ro`, 'busybox', 'sh', '-c', 'echo x > /data/h || echo refused']);
      assert.match(readOnly.stdout, /refused/);
      assert.match(run(['--volumes-from', 'no-such-container', 'busybox', 'true']).stderr, /No such container: no-such-container/);
      assert.match(run(['--volumes-from', `${source}:bogus`, 'busybox', 'true']).stderr, /invalid mode: bogus/);
    } finally {
      daemon.berth(['rm', '-fv', source]);
      rmSync(bindSource, { recursive: true, force: true });
    }
    assert.equal(daemon.berth(['volume', 'ls', '-q']).stdout, '', 'rm -v of the source removes its anonymous volume');
  });

  test('--dns-search, --dns-option, --domainname and --security-opt systempaths=unconfined', () => {
    const resolv = run(['--dns', '10.9.9.9', '--dns-search', 'a.test', '--dns-option', 'ndots:2', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.equal(resolv.stdout, 'nameserver 10.9.9.9\nsearch a.test\noptions ndots:2\n', resolv.stderr);
    assert.equal(run(['--domainname', 'example.org', 'busybox', 'cat', '/proc/sys/kernel/domainname']).stdout, 'example.org\n');
    const masked = ['busybox', 'sh', '-c', 'head -c 10 /proc/timer_list | wc -c'];
    assert.equal(run(masked).stdout.trim(), '0');
    assert.equal(run(['--security-opt', 'systempaths=unconfined', ...masked]).stdout.trim(), '10');
    const readOnly = ['busybox', 'sh', '-c', 'grep -E " /proc/sys " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1'];
    assert.equal(run(readOnly).stdout, 'ro\n');
    assert.equal(run(['--security-opt', 'systempaths=unconfined', ...readOnly]).stdout, '', 'no read-only /proc/sys mount');
  });

  test('--cidfile gets the id, refuses a file that exists and is removed when the create fails; --label-file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-cidfile-'));
    try {
      const cidfile = join(dir, 'cid');
      const id = daemon.berth(['run', '-d', '--cidfile', cidfile, 'busybox', 'sleep', '100']).stdout.trim();
      try {
        assert.equal(readFileSync(cidfile, 'utf8'), id);
        const again = daemon.berth(['run', '-d', '--cidfile', cidfile, 'busybox', 'true']);
        assert.equal(again.status, 125);
        assert.match(again.stderr, /Container ID file found, make sure the other container isn't running or delete/);
      } finally {
        daemon.berth(['rm', '-f', id]);
      }
      const failed = join(dir, 'failed');
      assert.equal(daemon.berth(['run', '--rm', '--cidfile', failed, '-w', 'relative', 'busybox', 'true']).status, 125);
      assert.equal(existsSync(failed), false);
      const labels = join(dir, 'labels');
      spawnSync('sh', ['-c', `printf 'a=1\\n# comment\\n\\nb=2\\n' > ${labels}`]);
      const created = daemon.berth(['create', '--label-file', labels, '-l', 'c=3', 'busybox']).stdout.trim();
      assert.equal(daemon.berth(['inspect', '-f', '{{json .Config.Labels}}', created]).stdout, '{"a":"1","b":"2","c":"3"}\n');
      daemon.berth(['rm', created]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--cgroup-parent puts the container\'s cgroup under that parent', () => {
    const parent = `berth-test-parent-${process.pid}`;
    const where = cgroupV1 ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
    try {
      const id = daemon.berth(['run', '-d', '--cgroup-parent', `/${parent}`, '--pids-limit', '33', 'busybox', 'sleep', '100']).stdout.trim();
      try {
        assert.equal(readFileSync(`${where}/${parent}/${id}/pids.max`, 'utf8'), '33\n');
        assert.match(daemon.berth(['stats', '--no-stream', '--format', '{{.PIDs}}', id]).stdout, /^1\n$/);
      } finally {
        daemon.berth(['rm', '-f', id]);
      }
      assert.equal(existsSync(`${where}/${parent}/${id}`), false, 'the container\'s cgroup goes with it');
    } finally {
      for (const hierarchy of cgroupV1 ? readdirSync('/sys/fs/cgroup') : ['']) {
        spawnSync('rmdir', [join('/sys/fs/cgroup', hierarchy, parent)]);
      }
    }
  });

  test('--memory-swappiness on cgroup v1', { skip: !cgroupV1 && 'cgroup v2 has no swappiness' }, () => {
    assert.equal(run(['--memory-swappiness', '10', 'busybox', 'cat', '/sys/fs/cgroup/memory/memory.swappiness']).stdout, '10\n');
    assert.match(run(['--memory-swappiness', '101', 'busybox', 'true']).stderr, /valid memory swappiness range is 0-100/);
  });

  test('what the host lacks or berth does not do is refused in docker\'s words, leaving nothing', () => {
    const cases: [string[], RegExp][] = [
      [['-w', 'relative'], /the working directory 'relative' is invalid, it needs to be an absolute path/],
      [['--cpuset-cpus', '4096'], /Requested CPUs are not available - requested 4096, available: /],
      [['--cpuset-mems', '4096'], /Requested memory nodes are not available - requested 4096, available: /],
      [['--blkio-weight', '5'], /Range of blkio weight is from 10 to 1000/],
      [['--oom-score-adj', '2000'], /range for oom score adj is \[-1000, 1000\]/],
      [['-p', '8080:80'], /berth does not publish ports yet/],
      [['--pid', 'bogus'], /invalid PID mode: bogus/],
      [['--userns', 'remap'], /does not support UsernsMode/],
      [['--log-driver', 'syslog'], /does not support the syslog logging driver/],
    ];
    for (const [flags, message] of cases) {
      const refused = run([...flags, 'busybox', 'true']);
      assert.equal(refused.status, 125, `${flags.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, message);
    }
    assert.equal(daemon.berth(['ps', '-aq']).stdout, '');
    const mountTable = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mountTable.includes(daemon.dataRoot), 'no mount of the test daemon is left');
  });
});
