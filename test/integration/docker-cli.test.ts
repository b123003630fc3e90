import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';

describe('the real docker CLI against berthd', { skip: (!isRoot && 'needs root') || (!hasDockerCli && 'docker CLI not installed') }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
  });

  test('version and info', () => {
    const version = daemon.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, '0.1.0 1.44\n');
    const info = daemon.docker(['info', '--format', '{{.DefaultRuntime}} {{.CgroupDriver}}']);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /^(crun|runc) cgroupfs$/m);
  });

  test('run attached, with --rm, exit codes and stdin', () => {
    const run = daemon.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(run.stdout, 'out\n');
    assert.equal(run.stderr, 'err\n');
    assert.equal(run.status, 3);
    const piped = daemon.docker(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'data\n' });
    assert.equal(piped.stdout, 'data\n');
    const missing = daemon.docker(['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(missing.status, 127, missing.stderr);
    assert.equal(daemon.docker(['ps', '-aq']).stdout, '');
  });

  test('run with the host options docker\'s CLI sends: namespaces, sysctl, device, init, group-add', () => {
    const run = daemon.docker([
      'run', '--rm', '--pid', 'host', '--uts', 'host', '--ipc', 'none', '--sysctl', 'kernel.shmmax=1000',
      '--device', '/dev/null:/dev/extra-null', '--init', '--group-add', '4242', 'busybox', 'sh', '-c',
      `hostname; cat /proc/sys/kernel/shmmax; test -e /dev/shm || echo no-shm; stat -c '%t %T' /dev/extra-null; id -G; test -d /proc/${process.pid} && echo host-pids`,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\n1000\nno-shm\n1 3\n0 10 4242\nhost-pids\n$/);
    const refused = daemon.docker(['run', '--rm', '--gpus', 'all', 'busybox', 'true']);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /berth does not support DeviceRequests \(--gpus\) yet/);
  });

  test('run -d, ps, logs, exec, inspect, stop, rm', () => {
    const run = daemon.docker(['run', '-d', '--name', 'dweb', 'busybox', 'sh', '-c', 'echo started; sleep 100']);
    assert.equal(run.status, 0, run.stderr);
    const id = run.stdout.trim();
    try {
      const ps = daemon.docker(['ps', '--format', '{{.ID}} {{.Image}} {{.Names}} {{.State}}']);
      assert.equal(ps.stdout, `${id.slice(0, 12)} busybox dweb running\n`);
      const table = daemon.docker(['ps']);
      assert.match(table.stdout, /Up (Less than a second|\d+ seconds?)\s+dweb/);
      assert.equal(daemon.docker(['logs', 'dweb']).stdout, 'started\n');
      assert.equal(daemon.docker(['exec', 'dweb', 'sh', '-c', 'echo $((1+2))']).stdout, '3\n');
      assert.equal(daemon.docker(['exec', 'dweb', 'sh', '-c', 'exit 9']).status, 9);
      assert.equal(daemon.docker(['inspect', '-f', '{{.State.Running}} {{.Config.Image}} {{.Name}}', 'dweb']).stdout, 'true busybox /dweb\n');
      const stop = daemon.docker(['stop', '-t', '1', 'dweb']);
      assert.equal(stop.status, 0, stop.stderr);
      assert.equal(stop.stdout, 'dweb\n');
      assert.equal(daemon.docker(['inspect', '-f', '{{.State.Status}}', 'dweb']).stdout, 'exited\n');
    } finally {
      assert.equal(daemon.docker(['rm', '-f', 'dweb']).status, 0);
    }
    const gone = daemon.docker(['inspect', 'dweb']);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /No such (object|container): dweb/);
  });

  test('logs -f follows a running container until it exits', () => {
    const id = daemon.docker(['run', '-d', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.2; done']).stdout.trim();
    try {
      const follow = daemon.docker(['logs', '-f', id]);
      assert.equal(follow.stdout, '1\n2\n3\n');
    } finally {
      daemon.docker(['rm', '-f', id]);
    }
  });

  test('images, tag, rmi', () => {
    const images = daemon.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(images.status, 0, images.stderr);
    assert.match(images.stdout, /^busybox:latest$/m);
    assert.equal(daemon.docker(['tag', 'busybox', 'example.test/mine:v1']).status, 0);
    assert.match(daemon.docker(['images']).stdout, /^example\.test\/mine\s+v1\s+[0-9a-f]{12}/m);
    const rmi = daemon.docker(['rmi', 'example.test/mine:v1']);
    assert.equal(rmi.status, 0, rmi.stderr);
    assert.equal(rmi.stdout, 'Untagged: example.test/mine:v1\n');
    const inUse = daemon.docker(['create', '--name', 'holder', 'busybox', 'true']);
    assert.equal(inUse.status, 0);
    try {
      const refused = daemon.docker(['rmi', 'busybox']);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
    } finally {
      daemon.docker(['rm', 'holder']);
    }
  });

  test('errors in docker words: unknown container, name conflict', () => {
    const unknown = daemon.docker(['stop', 'nothing-here']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /No such container: nothing-here/);
    assert.equal(daemon.docker(['create', '--name', 'dup', 'busybox']).status, 0);
    try {
      const conflict = daemon.docker(['create', '--name', 'dup', 'busybox']);
      assert.equal(conflict.status, 1);
      assert.match(conflict.stderr, /Conflict\. The container name "\/dup" is already in use/);
    } finally {
      daemon.docker(['rm', 'dup']);
    }
  });
});
