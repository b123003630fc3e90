import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CAPABILITIES } from '../../src/runtime/capabilities.js';
import type { SeccompHost } from '../../src/runtime/seccomp-host.js';
import { containerSeccomp } from '../../src/engine/container-seccomp.js';
import { parseSecurityOpts } from '../../src/engine/security-opts.js';

describe('parseSecurityOpts', () => {
  it("is Docker's default profile and privileges as usual when nothing is asked", () => {
    assert.deepEqual(parseSecurityOpts(null), { seccomp: { kind: 'builtin' }, noNewPrivileges: false });
    assert.deepEqual(parseSecurityOpts([]), { seccomp: { kind: 'builtin' }, noNewPrivileges: false });
  });

  it('reads seccomp=builtin|unconfined|<json>, the last one winning', () => {
    assert.deepEqual(parseSecurityOpts(['seccomp=unconfined']).seccomp, { kind: 'unconfined' });
    assert.deepEqual(parseSecurityOpts(['seccomp=unconfined', 'seccomp=builtin']).seccomp, { kind: 'builtin' });
    assert.deepEqual(parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp, { kind: 'profile', json: '{"defaultAction":"SCMP_ACT_ALLOW"}' });
    assert.deepEqual(parseSecurityOpts(['seccomp:unconfined']).seccomp, { kind: 'unconfined' }, "docker's deprecated ':' still reads");
  });

  it('reads no-new-privileges alone or with a Go boolean', () => {
    assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges=true']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges', 'no-new-privileges=0']).noNewPrivileges, false);
    assert.throws(() => parseSecurityOpts(['no-new-privileges=maybe']), { kind: 'invalid-argument', message: 'invalid --security-opt 2: "no-new-privileges=maybe"' });
  });

  it('accepts the SELinux and AppArmor options it does not apply', () => {
    assert.doesNotThrow(() => parseSecurityOpts(['label=disable', 'label:user:USER', 'apparmor=unconfined', 'disable']));
  });

  it("refuses what dockerd refuses, in its words", () => {
    assert.throws(() => parseSecurityOpts(['seccomp']), { kind: 'invalid-argument', message: 'invalid --security-opt 1: "seccomp"' });
    assert.throws(() => parseSecurityOpts(['foo=bar']), { kind: 'invalid-argument', message: 'invalid --security-opt 2: "foo=bar"' });
    assert.throws(() => parseSecurityOpts('seccomp=unconfined'), { kind: 'invalid-argument' });
  });
});

describe('containerSeccomp', () => {
  const host: SeccompHost = { available: true, arch: 'amd64', kernel: { kernel: 6, major: 1 } };
  const deny = 'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}';

  it("gives a container Docker's default profile", () => {
    const seccomp = containerSeccomp({ Privileged: false, SecurityOpt: null }, DEFAULT_CAPABILITIES, host);
    assert.equal(seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(seccomp?.defaultErrnoRet, 1);
  });

  it('gives none when privileged or unconfined', () => {
    assert.equal(containerSeccomp({ Privileged: true, SecurityOpt: null }, DEFAULT_CAPABILITIES, host), undefined);
    assert.equal(containerSeccomp({ Privileged: true, SecurityOpt: [deny] }, DEFAULT_CAPABILITIES, host), undefined);
    assert.equal(containerSeccomp({ Privileged: false, SecurityOpt: ['seccomp=unconfined'] }, DEFAULT_CAPABILITIES, host), undefined);
  });

  it("resolves the user's profile", () => {
    assert.deepEqual(containerSeccomp({ Privileged: false, SecurityOpt: [deny] }, DEFAULT_CAPABILITIES, host), {
      defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    });
    assert.throws(() => containerSeccomp({ Privileged: false, SecurityOpt: ['seccomp=/etc/profile.json'] }, DEFAULT_CAPABILITIES, host),
      { kind: 'invalid-argument', message: /^Decoding seccomp profile failed: / });
  });

  it('on a kernel without seccomp drops the default quietly but refuses a profile', () => {
    const without = { ...host, available: false };
    assert.equal(containerSeccomp({ Privileged: false, SecurityOpt: null }, DEFAULT_CAPABILITIES, without), undefined);
    assert.throws(() => containerSeccomp({ Privileged: false, SecurityOpt: [deny] }, DEFAULT_CAPABILITIES, without),
      { kind: 'invalid-argument', message: 'seccomp is not enabled in your kernel, cannot run a custom seccomp profile' });
  });
});
