import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, effectiveCapabilities } from '../../src/runtime/capabilities.js';
import { DEFAULT_SECCOMP_PROFILE } from '../../src/runtime/seccomp-default.js';
import { decodeSeccompProfile, type SeccompProfile } from '../../src/runtime/seccomp-profile.js';
import { evaluateSeccompProfile, kernelOf, nativeArch, type OciSeccomp, type SeccompTarget } from '../../src/runtime/seccomp.js';

const AMD64: SeccompTarget = { arch: 'amd64', kernel: { kernel: 6, major: 1 }, capabilities: DEFAULT_CAPABILITIES };

function evaluate(target: Partial<SeccompTarget> = {}, profile: SeccompProfile = DEFAULT_SECCOMP_PROFILE): OciSeccomp {
  const result = evaluateSeccompProfile(profile, { ...AMD64, ...target });
  assert.ok(result, 'a filter');
  return result;
}

const withCaps = (...add: string[]): Partial<SeccompTarget> => ({ capabilities: effectiveCapabilities({ privileged: false, add, drop: [], grantable: ALL_CAPABILITIES }) });

const rulesFor = (seccomp: OciSeccomp, name: string) => (seccomp.syscalls ?? []).filter((rule) => rule.names.includes(name));

/** Allowed whatever its arguments. */
const allowed = (seccomp: OciSeccomp, name: string): boolean =>
  rulesFor(seccomp, name).some((rule) => rule.action === 'SCMP_ACT_ALLOW' && !rule.args);

/** Not named by any rule: the default action (EPERM) answers it. */
const denied = (seccomp: OciSeccomp, name: string): boolean => rulesFor(seccomp, name).length === 0;

describe("Docker's default seccomp profile", () => {
  it('denies with EPERM by default and filters every ABI of an x86_64 host', () => {
    const seccomp = evaluate();
    assert.equal(seccomp.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(seccomp.defaultErrnoRet, 1);
    assert.deepEqual(seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  });

  it('takes the arm ABIs on an aarch64 host', () => {
    assert.deepEqual(evaluate({ arch: 'arm64' }).architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('allows the ordinary system calls and none of the dangerous ones by default', () => {
    const seccomp = evaluate();
    for (const name of ['read', 'write', 'openat', 'execve', 'mkdirat', 'futex', 'epoll_pwait2', 'io_uring_setup', 'chroot', 'name_to_handle_at']) {
      assert.ok(allowed(seccomp, name), `${name} allowed`);
    }
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'bpf', 'reboot', 'init_module', 'kexec_load', 'keyctl', 'add_key', 'settimeofday', 'acct', 'swapon', 'open_by_handle_at']) {
      assert.ok(denied(seccomp, name), `${name} denied`);
    }
  });

  it('restricts clone to no new namespaces and answers clone3 with ENOSYS without CAP_SYS_ADMIN', () => {
    const seccomp = evaluate();
    assert.deepEqual(rulesFor(seccomp, 'clone'), [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
    assert.deepEqual(rulesFor(seccomp, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  });

  it('on s390x checks the flags of clone in its second argument', () => {
    const [rule, ...others] = rulesFor(evaluate({ arch: 's390x' }), 'clone');
    assert.equal(others.length, 0);
    assert.deepEqual(rule?.args, [{ index: 1, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }]);
  });

  it('with CAP_SYS_ADMIN allows mount, unshare, setns and an unrestricted clone and clone3', () => {
    const seccomp = evaluate(withCaps('SYS_ADMIN'));
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'clone', 'clone3', 'bpf', 'fsopen', 'open_tree', 'perf_event_open']) {
      assert.ok(allowed(seccomp, name), `${name} allowed`);
    }
    assert.ok(rulesFor(seccomp, 'clone').every((rule) => !rule.args), 'no masked clone rule left');
    assert.ok(rulesFor(seccomp, 'clone3').every((rule) => rule.action === 'SCMP_ACT_ALLOW'), 'no ENOSYS rule left');
  });

  it('adds each capability-conditional group only with its capability', () => {
    const groups: [string, string[]][] = [
      ['SYS_BOOT', ['reboot']],
      ['SYS_MODULE', ['delete_module', 'init_module', 'finit_module']],
      ['SYS_PACCT', ['acct']],
      ['SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace']],
      ['SYS_RAWIO', ['iopl', 'ioperm']],
      ['SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
      ['SYS_TTY_CONFIG', ['vhangup']],
      ['SYS_NICE', ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node']],
      ['SYSLOG', ['syslog']],
      ['BPF', ['bpf']],
      ['PERFMON', ['perf_event_open']],
      ['DAC_READ_SEARCH', ['open_by_handle_at']],
    ];
    const plain = evaluate();
    for (const [cap, names] of groups) {
      const seccomp = evaluate(withCaps(cap));
      for (const name of names) {
        assert.ok(allowed(seccomp, name), `${name} allowed with CAP_${cap}`);
        // ptrace and process_vm_* are allowed on every kernel from 4.8, capability or not.
        if (!['ptrace', 'process_vm_readv', 'process_vm_writev'].includes(name)) assert.ok(denied(plain, name), `${name} denied without it`);
      }
    }
  });

  it('takes chroot away with CAP_SYS_CHROOT dropped', () => {
    assert.ok(allowed(evaluate(), 'chroot'));
    const dropped = effectiveCapabilities({ privileged: false, add: [], drop: ['SYS_CHROOT'], grantable: ALL_CAPABILITIES });
    assert.ok(denied(evaluate({ capabilities: dropped }), 'chroot'));
  });

  it('allows ptrace from kernel 4.8 only', () => {
    assert.ok(allowed(evaluate({ kernel: { kernel: 4, major: 8 } }), 'ptrace'));
    assert.ok(allowed(evaluate({ kernel: { kernel: 5, major: 0 } }), 'ptrace'));
    assert.ok(denied(evaluate({ kernel: { kernel: 4, major: 7 } }), 'ptrace'));
  });

  it('allows personality only for the values Docker allows', () => {
    const values = rulesFor(evaluate(), 'personality').map((rule) => {
      assert.equal(rule.action, 'SCMP_ACT_ALLOW');
      assert.equal(rule.args?.length, 1);
      assert.equal(rule.args?.[0]?.op, 'SCMP_CMP_EQ');
      return rule.args?.[0]?.value;
    });
    assert.deepEqual(values, [0x0, 0x8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('keeps AF_VSOCK sockets closed', () => {
    assert.deepEqual(rulesFor(evaluate(), 'socket'), [
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    ]);
  });

  it('allows the architecture-specific calls on their architectures only', () => {
    const amd64 = evaluate();
    const arm64 = evaluate({ arch: 'arm64' });
    for (const name of ['arch_prctl', 'modify_ldt']) {
      assert.ok(allowed(amd64, name), `${name} on amd64`);
      assert.ok(denied(arm64, name), `${name} not on arm64`);
    }
    for (const name of ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']) {
      assert.ok(allowed(arm64, name), `${name} on arm64`);
      assert.ok(denied(amd64, name), `${name} not on amd64`);
    }
  });
});

describe('evaluateSeccompProfile with a user profile', () => {
  it('keeps a rule only when the container holds every included capability and none excluded', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['both'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } },
        { names: ['unless'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'] } },
      ],
    };
    const names = (target: Partial<SeccompTarget>) => (evaluate(target, profile).syscalls ?? []).map((rule) => rule.names[0]);
    assert.deepEqual(names({}), ['unless']);
    assert.deepEqual(names(withCaps('SYS_ADMIN')), ['unless']);
    assert.deepEqual(names(withCaps('SYS_ADMIN', 'NET_ADMIN')), ['both']);
    assert.deepEqual(names(withCaps('SYS_TIME')), []);
  });

  it('carries errno values, arguments, flags and listed architectures through', () => {
    const seccomp = evaluate({}, {
      defaultAction: 'SCMP_ACT_LOG',
      defaultErrnoRet: 5,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 0o700, valueTwo: 0, op: 'SCMP_CMP_EQ' }] }],
    });
    assert.deepEqual(seccomp, {
      defaultAction: 'SCMP_ACT_LOG',
      defaultErrnoRet: 5,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 0o700, valueTwo: 0, op: 'SCMP_CMP_EQ' }] }],
    });
  });

  it('leaves architectures to the runtime when the archMap does not name the host', () => {
    const seccomp = evaluate({ arch: 'riscv64' }, { defaultAction: 'SCMP_ACT_ALLOW', archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }] });
    assert.equal(seccomp.architectures, undefined);
  });

  it('is no filter at all for a profile without default action or rules, as dockerd reads {}', () => {
    assert.equal(evaluateSeccompProfile({ defaultAction: '' }, AMD64), undefined);
  });

  it("refuses dockerd's two contradictions", () => {
    assert.throws(() => evaluate({}, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }] }),
      { kind: 'invalid-argument', message: "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'" });
    assert.throws(() => evaluate({}, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }] }),
      { kind: 'invalid-argument', message: "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'" });
  });
});

describe('decodeSeccompProfile', () => {
  it('reads the profile format, keys case-insensitively and nulls as absent, as Go does', () => {
    const profile = decodeSeccompProfile(JSON.stringify({
      DefaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: null,
      unknownField: 1,
      syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8', caps: ['CAP_SYS_PTRACE'] }, excludes: { arches: ['x86'] } }],
    }));
    assert.deepEqual(profile, {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_PTRACE'], minKernel: { kernel: 4, major: 8 } }, excludes: { arches: ['x86'] } }],
    });
  });

  it("words its failures as dockerd's", () => {
    const failure = (text: string) => {
      try {
        decodeSeccompProfile(text);
      } catch (error) {
        assert.equal((error as { kind: string }).kind, 'invalid-argument');
        return (error as Error).message;
      }
      assert.fail(`decoded ${text}`);
    };
    assert.match(failure('{bad'), /^Decoding seccomp profile failed: /);
    assert.equal(failure('[1,2]'), 'Decoding seccomp profile failed: json: cannot unmarshal array into Go value of type seccomp.Seccomp');
    assert.equal(failure('{"defaultAction": 5}'), 'Decoding seccomp profile failed: json: cannot unmarshal number 5 into Go struct field Seccomp.defaultAction of type string');
    assert.equal(failure('{"syscalls": [{"names": "mkdir"}]}'), 'Decoding seccomp profile failed: json: cannot unmarshal string into Go struct field Seccomp.syscalls.names of type []string');
    assert.equal(failure('{"defaultErrnoRet": -1}'), 'Decoding seccomp profile failed: json: cannot unmarshal number -1 into Go struct field Seccomp.defaultErrnoRet of type uint');
    assert.equal(failure('{"syscalls": [{"includes": {"minKernel": "4"}}]}'), 'Decoding seccomp profile failed: invalid kernel version: "4", expected "<kernel>.<major>"');
    assert.match(failure('{"syscalls": [{"includes": {"minKernel": "0.0"}}]}'), /version cannot be 0\.0$/);
  });
});

describe('host facts', () => {
  it("names the host architecture as libseccomp's arches do", () => {
    assert.equal(nativeArch('x64'), 'amd64');
    assert.equal(nativeArch('arm64'), 'arm64');
    assert.equal(nativeArch('ia32'), 'x86');
  });

  it('reads "<kernel>.<major>" from a release string', () => {
    assert.deepEqual(kernelOf('6.1.0-18-amd64'), { kernel: 6, major: 1 });
    assert.deepEqual(kernelOf('4.8'), { kernel: 4, major: 8 });
  });
});
