import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CAPABILITIES, boundingSetOf, DEFAULT_CAPABILITIES, effectiveCapabilities } from '../../src/runtime/capabilities.js';
import { BerthError } from '../../src/common/errors.js';

// Bit numbers from linux/capability.h, written out here so the test does not
// trust the module's own ordering.
const CAP_BITS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5,
  CAP_SETGID: 6, CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18, CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24, CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36, CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

/** The CapEff line of /proc/<pid>/status a process with these capabilities shows. */
function capMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const cap of caps) {
    const bit = CAP_BITS[cap];
    assert.notEqual(bit, undefined, `unknown capability ${cap}`);
    mask |= 1n << BigInt(bit!);
  }
  return mask.toString(16).padStart(16, '0');
}

const sorted = (caps: readonly string[]): string[] => [...caps].sort();

describe('capability lists', () => {
  it('the default set is docker\'s 14 capabilities (CapEff 00000000a80425fb)', () => {
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.equal(new Set(DEFAULT_CAPABILITIES).size, 14);
    assert.equal(capMask(DEFAULT_CAPABILITIES), '00000000a80425fb');
  });

  it('ALL lists every capability of Linux 6.x exactly once (CapEff 000001ffffffffff)', () => {
    assert.equal(ALL_CAPABILITIES.length, 41);
    assert.equal(new Set(ALL_CAPABILITIES).size, 41);
    assert.equal(capMask(ALL_CAPABILITIES), '000001ffffffffff');
  });
});

describe('effectiveCapabilities (moby oci/caps TweakCapabilities)', () => {
  it('gives the defaults when nothing is added or dropped', () => {
    const caps = effectiveCapabilities({ privileged: false, add: [], drop: [], grantable: ALL_CAPABILITIES });
    assert.equal(capMask(caps), '00000000a80425fb');
  });

  it('gives every capability to a privileged container, ignoring add and drop', () => {
    const caps = effectiveCapabilities({ privileged: true, add: [], drop: ['ALL'], grantable: ALL_CAPABILITIES });
    assert.deepEqual(sorted(caps), sorted(ALL_CAPABILITIES));
  });

  it('accepts names with or without CAP_, in any case, with surrounding spaces', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['net_admin', ' CAP_SYS_PTRACE ', 'Sys_Time'], drop: [], grantable: ALL_CAPABILITIES });
    assert.deepEqual(sorted(caps), sorted([...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_TIME']));
  });

  it('drops from the defaults, then adds', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['SYS_ADMIN'], drop: ['chown', 'NET_RAW'], grantable: ALL_CAPABILITIES });
    assert.equal(caps.includes('CAP_CHOWN'), false);
    assert.equal(caps.includes('CAP_NET_RAW'), false);
    assert.equal(caps.includes('CAP_SYS_ADMIN'), true);
    assert.equal(caps.length, 13);
  });

  it('a capability both dropped and added is present (drop happens first)', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['KILL'], drop: ['KILL'], grantable: ALL_CAPABILITIES });
    assert.ok(caps.includes('CAP_KILL'));
    assert.equal(caps.length, 14);
  });

  it('adding a default capability does not duplicate it', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['CHOWN'], drop: [], grantable: ALL_CAPABILITIES });
    assert.equal(caps.filter((cap) => cap === 'CAP_CHOWN').length, 1);
    assert.equal(caps.length, 14);
  });

  it('--cap-drop ALL leaves only what is added', () => {
    assert.deepEqual(effectiveCapabilities({ privileged: false, add: [], drop: ['ALL'], grantable: ALL_CAPABILITIES }), []);
    assert.deepEqual(effectiveCapabilities({ privileged: false, add: ['NET_BIND_SERVICE'], drop: ['all'], grantable: ALL_CAPABILITIES }), ['CAP_NET_BIND_SERVICE']);
  });

  it('--cap-add ALL gives everything except what is dropped', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['ALL'], drop: ['SYS_ADMIN', 'NET_ADMIN'], grantable: ALL_CAPABILITIES });
    assert.equal(caps.length, 39);
    assert.equal(caps.includes('CAP_SYS_ADMIN'), false);
    assert.equal(caps.includes('CAP_NET_ADMIN'), false);
    assert.ok(caps.includes('CAP_BPF'));
  });

  it('--cap-add ALL with --cap-drop ALL gives everything, as docker (add ALL is checked first)', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['ALL'], drop: ['ALL'], grantable: ALL_CAPABILITIES });
    assert.deepEqual(sorted(caps), sorted(ALL_CAPABILITIES));
  });

  it('--cap-add ALL,X --cap-drop X drops X, as docker does', () => {
    const caps = effectiveCapabilities({ privileged: false, add: ['ALL', 'SYS_ADMIN'], drop: ['SYS_ADMIN'], grantable: ALL_CAPABILITIES });
    assert.equal(caps.includes('CAP_SYS_ADMIN'), false);
  });

  it('refuses an unknown capability with an invalid-argument error', () => {
    for (const [add, drop] of [[['CAP_NOPE'], []], [[], ['bogus']]] as const) {
      assert.throws(() => effectiveCapabilities({ privileged: false, add: [...add], drop: [...drop], grantable: ALL_CAPABILITIES }), (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.kind, 'invalid-argument');
        assert.match(error.message, /^invalid capability: /);
        return true;
      });
    }
  });

  describe('on a host that withholds capabilities (bounding set without CAP_SYS_RESOURCE)', () => {
    const grantable = ALL_CAPABILITIES.filter((cap) => cap !== 'CAP_SYS_RESOURCE');

    it('privileged and --cap-add ALL give everything the host can grant', () => {
      assert.deepEqual(effectiveCapabilities({ privileged: true, add: [], drop: [], grantable }), grantable);
      assert.deepEqual(sorted(effectiveCapabilities({ privileged: false, add: ['ALL'], drop: [], grantable })), sorted(grantable));
    });

    it('refuses to add the withheld capability by name, saying why', () => {
      assert.throws(() => effectiveCapabilities({ privileged: false, add: ['sys_resource'], drop: [], grantable }), (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.kind, 'invalid-argument');
        assert.match(error.message, /^cannot add capability CAP_SYS_RESOURCE: the host withholds it/);
        return true;
      });
    });
  });
});

describe('boundingSetOf', () => {
  it('reads the CapBnd mask of /proc/<pid>/status', () => {
    const status = 'Name:\tberthd\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n';
    assert.deepEqual(boundingSetOf(status), ALL_CAPABILITIES.filter((cap) => cap !== 'CAP_SYS_RESOURCE'));
    assert.deepEqual(boundingSetOf('CapBnd:\t00000000a80425fb\n'), [...DEFAULT_CAPABILITIES].sort((a, b) => ALL_CAPABILITIES.indexOf(a) - ALL_CAPABILITIES.indexOf(b)));
  });

  it('assumes everything where the kernel shows no bounding set', () => {
    assert.deepEqual(boundingSetOf('Name:\tx\n'), [...ALL_CAPABILITIES]);
  });
});
