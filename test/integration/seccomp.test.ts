import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';

const seccompMode = (stdout: string): string => /^Seccomp:\s*(\d)$/m.exec(stdout)?.[1] ?? `no Seccomp line in ${JSON.stringify(stdout)}`;

describe('seccomp', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  let dir: string;
  let noMkdir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
    noMkdir = join(dir, 'no-mkdir.json');
    writeFileSync(noMkdir, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }, null, 2));
    daemon = await TestDaemon.start();
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const noContainersLeft = () => assert.equal(daemon.berth(['ps', '-aq']).stdout, '', 'no container left behind');

  test('crun compiles a profile once: later containers get the kept filter, and it still filters', () => {
    const annotationsOf = (name: string) => {
      const id = daemon.berth(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
      const config = JSON.parse(readFileSync(join(daemon.dataRoot, 'containers', id, 'bundle', 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
      return config.annotations ?? {};
    };
    // A capability set of its own, so that no other test has compiled this profile already.
    const probe = (name: string) => daemon.berth(['run', '--name', name, '--runtime', 'crun', '--cap-drop', 'AUDIT_WRITE', 'busybox', 'sh', '-c', 'grep Seccomp: /proc/self/status; unshare -n true']);
    try {
      const first = probe('compiled-here');
      const second = probe('compiled-before');
      for (const ran of [first, second]) {
        assert.equal(ran.status, 1, ran.stderr);
        assert.equal(seccompMode(ran.stdout), '2');
        assert.match(ran.stderr, /Operation not permitted/);
      }
      assert.equal(annotationsOf('compiled-here')['run.oci.seccomp_bpf_data'], undefined);
      const kept = annotationsOf('compiled-before')['run.oci.seccomp_bpf_data'];
      assert.ok(kept && Buffer.from(kept, 'base64').length > 1000, 'the second container gets the compiled filter');
    } finally {
      daemon.berth(['rm', '-f', 'compiled-here', 'compiled-before']);
    }
  });

  for (const runtime of ['crun', 'runc']) {
    describe(`with ${runtime}`, () => {
      const run = (args: string[]) => daemon.berth(['run', '--rm', '--runtime', runtime, ...args]);

      test("the default profile filters, and refuses a user namespace that capabilities alone would allow", () => {
        assert.equal(seccompMode(run(['busybox', 'grep', 'Seccomp', '/proc/self/status']).stdout), '2');
        const refused = run(['busybox', 'unshare', '-U', 'true']);
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /Operation not permitted/);
      });

      test('seccomp=unconfined runs without a filter', () => {
        assert.equal(seccompMode(run(['--security-opt', 'seccomp=unconfined', 'busybox', 'grep', 'Seccomp', '/proc/self/status']).stdout), '0');
        const unshared = run(['--security-opt', 'seccomp=unconfined', 'busybox', 'unshare', '-U', 'true']);
        assert.equal(unshared.status, 0, unshared.stderr);
      });

      test('--privileged runs without a filter', () => {
        const privileged = run(['--privileged', 'busybox', 'grep', 'Seccomp', '/proc/self/status']);
        assert.equal(privileged.status, 0, privileged.stderr);
        assert.equal(seccompMode(privileged.stdout), '0');
      });

      test('--cap-add SYS_ADMIN lets through what the profile keeps for that capability', () => {
        const without = run(['busybox', 'unshare', '-n', 'true']);
        assert.equal(without.status, 1);
        assert.match(without.stderr, /Operation not permitted/);
        const withCap = run(['--cap-add', 'SYS_ADMIN', 'busybox', 'sh', '-c', 'unshare -n true && mkdir /m && mount -t tmpfs none /m && echo mounted']);
        assert.equal(withCap.stderr, '');
        assert.equal(withCap.stdout, 'mounted\n');
        assert.equal(seccompMode(run(['--cap-add', 'SYS_ADMIN', 'busybox', 'grep', 'Seccomp', '/proc/self/status']).stdout), '2', 'still filtered');
      });

      test('a profile file denies what it names and nothing else', () => {
        const denied = run(['--security-opt', `seccomp=${noMkdir}`, 'busybox', 'sh', '-c', 'touch /made && mkdir /x']);
        assert.equal(denied.status, 1);
        assert.match(denied.stderr, /mkdir: can't create directory '\/x': Operation not permitted/);
        const userNamespace = run(['--security-opt', `seccomp=${noMkdir}`, 'busybox', 'unshare', '-U', 'true']);
        assert.equal(userNamespace.status, 0, 'the default profile is not applied on top');
      });

      test('exec runs under the container filter', () => {
        const filtered = daemon.berth(['run', '-d', '--runtime', runtime, 'busybox', 'sleep', '100']).stdout.trim();
        const custom = daemon.berth(['run', '-d', '--runtime', runtime, '--security-opt', `seccomp=${noMkdir}`, 'busybox', 'sleep', '100']).stdout.trim();
        const unconfined = daemon.berth(['run', '-d', '--runtime', runtime, '--security-opt', 'seccomp=unconfined', 'busybox', 'sleep', '100']).stdout.trim();
        try {
          assert.equal(seccompMode(daemon.berth(['exec', filtered, 'grep', 'Seccomp', '/proc/self/status']).stdout), '2');
          const refused = daemon.berth(['exec', filtered, 'unshare', '-U', 'true']);
          assert.equal(refused.status, 1);
          assert.match(refused.stderr, /Operation not permitted/);
          const mkdir = daemon.berth(['exec', custom, 'mkdir', '/x']);
          assert.equal(mkdir.status, 1);
          assert.match(mkdir.stderr, /Operation not permitted/);
          assert.equal(seccompMode(daemon.berth(['exec', unconfined, 'grep', 'Seccomp', '/proc/self/status']).stdout), '0');
        } finally {
          daemon.berth(['rm', '-f', filtered, custom, unconfined]);
        }
      });

      test('no-new-privileges reaches the container and its execs', () => {
        assert.match(run(['busybox', 'grep', 'NoNewPrivs', '/proc/self/status']).stdout, /NoNewPrivs:\s*0/);
        const id = daemon.berth(['run', '-d', '--runtime', runtime, '--security-opt', 'no-new-privileges', 'busybox', 'sleep', '100']).stdout.trim();
        try {
          assert.match(daemon.berth(['exec', id, 'grep', 'NoNewPrivs', '/proc/self/status']).stdout, /NoNewPrivs:\s*1/);
        } finally {
          daemon.berth(['rm', '-f', id]);
        }
      });
    });
  }

  test('inspect shows SecurityOpt as sent, the profile file as its JSON; info shows the builtin profile', () => {
    const id = daemon.berth(['create', '--security-opt', `seccomp=${noMkdir}`, '--security-opt', 'no-new-privileges', 'busybox', 'true']).stdout.trim();
    try {
      const securityOpt = JSON.parse(daemon.berth(['inspect', '-f', '{{json .HostConfig.SecurityOpt}}', id]).stdout) as string[];
      assert.deepEqual(securityOpt, [`seccomp=${JSON.stringify(JSON.parse(readFileSync(noMkdir, 'utf8')))}`, 'no-new-privileges']);
    } finally {
      daemon.berth(['rm', id]);
    }
    assert.equal(daemon.berth(['info', '-f', '{{json .SecurityOptions}}']).stdout, '["name=seccomp,profile=builtin","name=cgroupns"]\n');
    assert.match(daemon.berth(['info']).stdout, /\n Security Options:\n  seccomp\n   Profile: builtin\n  cgroupns\n/);
  });

  test("bad values fail with docker's words, exit 125 and leave no container", () => {
    const invalidJson = join(dir, 'invalid.json');
    writeFileSync(invalidJson, '{"defaultAction": ');
    const wrongShape = join(dir, 'wrong-shape.json');
    writeFileSync(wrongShape, '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {"names": ["mkdir"]}}');
    const missing = join(dir, 'missing.json');
    const cases: [string, RegExp][] = [
      [`seccomp=${missing}`, new RegExp(`^berth: opening seccomp profile \\(${missing}\\) failed: open ${missing}: no such file or directory\n`)],
      [`seccomp=${invalidJson}`, new RegExp(`^berth: compacting json for seccomp profile \\(${invalidJson}\\) failed: `)],
      [`seccomp=${wrongShape}`, /^berth: Error response from daemon: Decoding seccomp profile failed: json: cannot unmarshal object into Go struct field Seccomp\.syscalls of type \[\]seccomp\.Syscall\n/],
      ['seccomp', /^berth: Invalid --security-opt: "seccomp"\n/],
      ['unknown=value', /^berth: Error response from daemon: invalid --security-opt 2: "unknown=value"\n/],
    ];
    for (const [option, message] of cases) {
      const result = daemon.berth(['run', '--security-opt', option, 'busybox', 'true']);
      assert.equal(result.status, 125, option);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
      noContainersLeft();
    }
  });

  describe('through the real docker CLI', { skip: !hasDockerCli && 'docker CLI not installed' }, () => {
    test('a profile file takes effect and shows in inspect', () => {
      const denied = daemon.docker(['run', '--rm', '--security-opt', `seccomp=${noMkdir}`, 'busybox', 'mkdir', '/x']);
      assert.equal(denied.status, 1);
      assert.match(denied.stderr, /Operation not permitted/);
      assert.equal(seccompMode(daemon.docker(['run', '--rm', 'busybox', 'grep', 'Seccomp', '/proc/self/status']).stdout), '2');
      assert.equal(seccompMode(daemon.docker(['run', '--rm', '--security-opt', 'seccomp=unconfined', 'busybox', 'grep', 'Seccomp', '/proc/self/status']).stdout), '0');
      const info = daemon.docker(['info', '-f', '{{json .SecurityOptions}}']);
      assert.match(info.stdout, /"name=seccomp,profile=builtin"/);
    });

    test('bad values fail as with dockerd and leave no container', () => {
      const wrongShape = join(dir, 'array.json');
      writeFileSync(wrongShape, '[1, 2]');
      const decode = daemon.docker(['run', '--security-opt', `seccomp=${wrongShape}`, 'busybox', 'true']);
      assert.equal(decode.status, 125);
      assert.match(decode.stderr, /^docker: Error response from daemon: Decoding seccomp profile failed: json: cannot unmarshal array into Go value of type seccomp\.Seccomp\n/);
      const unknown = daemon.docker(['run', '--security-opt', 'unknown=value', 'busybox', 'true']);
      assert.equal(unknown.status, 125);
      assert.match(unknown.stderr, /^docker: Error response from daemon: invalid --security-opt 2: "unknown=value"\n/);
      const badBool = daemon.docker(['create', '--security-opt', 'no-new-privileges=maybe', 'busybox', 'true']);
      assert.equal(badBool.status, 1);
      assert.match(badBool.stderr, /invalid --security-opt 2: "no-new-privileges=maybe"/);
      noContainersLeft();
    });
  });
});
