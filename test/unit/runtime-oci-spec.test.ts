import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, MASKED_PATHS, READONLY_PATHS, type SpecInput } from '../../src/runtime/oci-spec.js';
import { DEFAULT_CAPABILITIES } from '../../src/runtime/capabilities.js';

function input(overrides: Partial<SpecInput> = {}): SpecInput {
  return {
    rootfs: '/var/lib/berth/containers/abc/rootfs/merged',
    readonlyRootfs: false,
    args: ['/bin/sh', '-c', 'echo hi'],
    env: ['PATH=/usr/bin:/bin', 'HOSTNAME=abc'],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [10] },
    terminal: false,
    hostname: 'abc',
    capabilities: [...DEFAULT_CAPABILITIES],
    privileged: false,
    network: 'none',
    cgroupsPath: '/berth/abc',
    resources: {},
    mounts: [],
    shmSize: 64 * 1024 * 1024,
    rlimits: [],
    noNewPrivileges: false,
    swapAccounting: true,
    ...overrides,
  };
}

interface Spec {
  ociVersion: string;
  process: Record<string, unknown> & { capabilities: Record<string, string[]> };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    seccomp?: Record<string, unknown>;
    resources: {
      devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
      memory?: Record<string, unknown>;
      cpu?: Record<string, unknown>;
      pids?: { limit: number };
    };
  };
}

const spec = (overrides: Partial<SpecInput> = {}): Spec => buildSpec(input(overrides)) as unknown as Spec;
const mount = (s: Spec, destination: string) => s.mounts.find((m) => m.destination === destination);

describe('buildSpec: process and root', () => {
  it('carries the process as given', () => {
    const s = spec({ terminal: true, cwd: '/work', user: { uid: 1000, gid: 100, additionalGids: [27, 44] } });
    assert.equal(s.ociVersion, '1.0.2');
    assert.deepEqual(s.process.args, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(s.process.env, ['PATH=/usr/bin:/bin', 'HOSTNAME=abc']);
    assert.equal(s.process.cwd, '/work');
    assert.equal(s.process.terminal, true);
    assert.deepEqual(s.process.user, { uid: 1000, gid: 100, additionalGids: [27, 44] });
    assert.equal(s.process.noNewPrivileges, false);
    assert.equal(s.hostname, 'abc');
    assert.deepEqual(s.root, { path: '/var/lib/berth/containers/abc/rootfs/merged', readonly: false });
    assert.equal(spec({ readonlyRootfs: true }).root.readonly, true);
  });

  it('uses the capability list for bounding, effective and permitted sets', () => {
    const s = spec({ capabilities: ['CAP_KILL', 'CAP_CHOWN'] });
    assert.deepEqual(s.process.capabilities, {
      bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL', 'CAP_CHOWN'], permitted: ['CAP_KILL', 'CAP_CHOWN'],
    });
  });

  it('adds rlimits and oomScoreAdj only when given', () => {
    const plain = spec();
    assert.equal('rlimits' in plain.process, false);
    assert.equal('oomScoreAdj' in plain.process, false);
    const limited = spec({ rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }], oomScoreAdj: 500 });
    assert.deepEqual(limited.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
    assert.equal(limited.process.oomScoreAdj, 500);
    assert.equal(spec({ oomScoreAdj: 0 }).process.oomScoreAdj, 0);
  });
});

describe('buildSpec: namespaces', () => {
  const types = (s: Spec): string[] => s.linux.namespaces.map((n) => n.type).sort();

  it('network none: a network namespace of its own (loopback only)', () => {
    assert.deepEqual(types(spec({ network: 'none' })), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
    assert.equal(spec().linux.namespaces.find((n) => n.type === 'network')!.path, undefined);
  });

  it('network host: no network namespace', () => {
    assert.deepEqual(types(spec({ network: 'host' })), ['cgroup', 'ipc', 'mount', 'pid', 'uts']);
  });

  it('network by path: joins that namespace', () => {
    const s = spec({ network: { path: '/run/netns/berth-1' } });
    assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/berth-1' });
  });

  it('never creates a user namespace', () => {
    assert.equal(spec().linux.namespaces.some((n) => n.type === 'user'), false);
  });
});

describe('buildSpec: mounts', () => {
  it('has docker\'s default mounts in order, then the given ones', () => {
    const extra = { destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['rbind', 'rprivate', 'rw'] };
    const s = spec({ mounts: [extra] });
    assert.deepEqual(s.mounts.map((m) => m.destination), [
      '/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/hosts',
    ]);
    assert.deepEqual(s.mounts.at(-1), extra);
    assert.deepEqual(mount(s, '/proc'), { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
    assert.deepEqual(mount(s, '/dev')!.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
    assert.deepEqual(mount(s, '/dev/pts')!.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
    assert.equal(mount(s, '/dev/mqueue')!.type, 'mqueue');
  });

  it("lets a user mount replace the default mount at its destination, and sets the root's propagation when asked", () => {
    const shm = { destination: '/dev/shm', type: 'bind', source: '/host/shm', options: ['rbind', 'rprivate', 'rw'] };
    const s = spec({ mounts: [shm], rootfsPropagation: 'shared' });
    assert.deepEqual(s.mounts.filter((m) => m.destination === '/dev/shm'), [shm]);
    assert.equal((s.linux as unknown as { rootfsPropagation?: string }).rootfsPropagation, 'shared');
    assert.equal((spec().linux as unknown as { rootfsPropagation?: string }).rootfsPropagation, undefined);
  });

  it('sizes /dev/shm from shmSize', () => {
    const shm = mount(spec({ shmSize: 128 * 1024 * 1024 }), '/dev/shm')!;
    assert.equal(shm.type, 'tmpfs');
    assert.equal(shm.source, 'shm');
    assert.deepEqual(shm.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=134217728']);
  });

  it('mounts /sys and /sys/fs/cgroup read-only unless privileged', () => {
    const plain = spec();
    assert.ok(mount(plain, '/sys')!.options.includes('ro'));
    assert.ok(!mount(plain, '/sys')!.options.includes('rw'));
    assert.ok(mount(plain, '/sys/fs/cgroup')!.options.includes('ro'));
    const privileged = spec({ privileged: true });
    assert.ok(mount(privileged, '/sys')!.options.includes('rw'));
    assert.ok(!mount(privileged, '/sys')!.options.includes('ro'));
    assert.ok(mount(privileged, '/sys/fs/cgroup')!.options.includes('rw'));
  });
});

describe('buildSpec: masked and read-only paths', () => {
  it('the lists are docker\'s (moby oci/defaults.go)', () => {
    assert.deepEqual([...MASKED_PATHS], [
      '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
      '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
      '/sys/devices/virtual/powercap',
    ]);
    assert.deepEqual([...READONLY_PATHS], ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  });

  it('an unprivileged container gets them', () => {
    const s = spec();
    assert.deepEqual(s.linux.maskedPaths, [...MASKED_PATHS]);
    assert.deepEqual(s.linux.readonlyPaths, [...READONLY_PATHS]);
  });

  it('a privileged container gets neither', () => {
    const s = spec({ privileged: true });
    assert.equal(s.linux.maskedPaths, undefined);
    assert.equal(s.linux.readonlyPaths, undefined);
  });

  it('each spec has its own copies of the lists', () => {
    const first = spec();
    first.linux.maskedPaths!.push('/changed');
    assert.equal(spec().linux.maskedPaths!.includes('/changed'), false);
    assert.equal(MASKED_PATHS.includes('/changed'), false);
  });
});

describe('buildSpec: seccomp', () => {
  it('puts the resolved filter under linux.seccomp, and none when there is none', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    assert.deepEqual(spec({ seccomp }).linux.seccomp, seccomp);
    assert.equal('seccomp' in spec().linux, false);
  });

  it('carries no-new-privileges to the process', () => {
    assert.equal(spec({ noNewPrivileges: true }).process.noNewPrivileges, true);
  });
});

describe('buildSpec: device cgroup rules', () => {
  it('unprivileged: deny everything first, then allow the standard character devices', () => {
    const devices = spec().linux.resources.devices;
    assert.deepEqual(devices[0], { allow: false, access: 'rwm' });
    const allowed = devices.filter((d) => d.allow).map((d) => `${d.type} ${d.major ?? '*'}:${d.minor ?? '*'} ${d.access}`);
    assert.deepEqual(allowed, [
      'c *:* m', 'b *:* m',
      'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
      'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
    ]);
    // Wildcards leave the field out rather than writing -1 or null.
    const mknodAll = devices[1]!;
    assert.equal('major' in mknodAll, false);
    assert.equal('minor' in mknodAll, false);
    assert.equal('minor' in devices.find((d) => d.major === 136)!, false);
  });

  it('privileged: one rule allowing every device', () => {
    assert.deepEqual(spec({ privileged: true }).linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  });
});

describe('buildSpec: resources', () => {
  it('no limits: only the device rules', () => {
    const resources = spec({ resources: { memory: 0, memorySwap: 0, cpuShares: 0, pidsLimit: 0 } }).linux.resources;
    assert.deepEqual(Object.keys(resources), ['devices']);
  });

  it('memory limit, swap and reservation', () => {
    const resources = spec({
      resources: { memory: 128 * 1024 * 1024, memorySwap: 256 * 1024 * 1024, memoryReservation: 64 * 1024 * 1024 },
    }).linux.resources;
    assert.deepEqual(resources.memory, { limit: 134217728, reservation: 67108864, swap: 268435456 });
  });

  it('unlimited swap (-1) is passed on', () => {
    const resources = spec({ resources: { memory: 128 * 1024 * 1024, memorySwap: -1 } }).linux.resources;
    assert.deepEqual(resources.memory, { limit: 134217728, swap: -1 });
  });

  it('swap is left out when the kernel does not account swap', () => {
    const resources = spec({ swapAccounting: false, resources: { memory: 128 * 1024 * 1024, memorySwap: 256 * 1024 * 1024 } }).linux.resources;
    assert.deepEqual(resources.memory, { limit: 134217728 });
  });

  it('disableOOMKiller only when asked', () => {
    assert.deepEqual(spec({ resources: { disableOomKiller: true } }).linux.resources.memory, { disableOOMKiller: true });
    assert.equal(spec({ resources: { disableOomKiller: false } }).linux.resources.memory, undefined);
  });

  it('cpu shares, quota, period and cpuset', () => {
    const resources = spec({ resources: { cpuShares: 512, cpuQuota: 150_000, cpuPeriod: 100_000, cpusetCpus: '0-1' } }).linux.resources;
    assert.deepEqual(resources.cpu, { shares: 512, quota: 150000, period: 100000, cpus: '0-1' });
  });

  it('only the cpu fields given appear', () => {
    assert.deepEqual(spec({ resources: { cpuQuota: 50_000, cpuPeriod: 100_000 } }).linux.resources.cpu, { quota: 50000, period: 100000 });
    assert.deepEqual(spec({ resources: { cpusetCpus: '1' } }).linux.resources.cpu, { cpus: '1' });
  });

  it('pids: a positive limit is set, zero or negative means unlimited', () => {
    assert.deepEqual(spec({ resources: { pidsLimit: 100 } }).linux.resources.pids, { limit: 100 });
    assert.equal(spec({ resources: { pidsLimit: 0 } }).linux.resources.pids, undefined);
    assert.equal(spec({ resources: { pidsLimit: -1 } }).linux.resources.pids, undefined);
  });

  it('keeps the cgroups path', () => {
    assert.equal(spec({ cgroupsPath: '/berth/xyz' }).linux.cgroupsPath, '/berth/xyz');
  });
});

describe('buildSpec: shared namespaces, sysctls and devices', () => {
  const linux = (s: Spec) => s.linux as Spec['linux'] & { sysctl?: Record<string, string>; devices?: Record<string, unknown>[] };

  it('host PID, IPC, UTS and cgroup namespaces are left out; a joined one is named by path', () => {
    const s = spec({ namespaces: { pid: 'host', ipc: 'host', uts: 'host', cgroup: 'host' } });
    assert.deepEqual(s.linux.namespaces.map((n) => n.type).sort(), ['mount', 'network']);
    const joined = spec({ namespaces: { pid: { path: '/proc/42/ns/pid' } } });
    assert.deepEqual(joined.linux.namespaces.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/42/ns/pid' });
  });

  it('a host UTS namespace has no hostname in the spec', () => {
    assert.equal('hostname' in spec({ namespaces: { uts: 'host' } }), false);
    assert.equal(spec().hostname, 'abc');
  });

  it('noShm drops /dev/shm', () => {
    assert.equal(mount(spec({ noShm: true }), '/dev/shm'), undefined);
    assert.ok(mount(spec(), '/dev/shm'));
  });

  it('sysctls go to linux.sysctl, only when there are some', () => {
    assert.deepEqual(linux(spec({ sysctls: { 'kernel.shmmax': '1000' } })).sysctl, { 'kernel.shmmax': '1000' });
    assert.equal(linux(spec({ sysctls: {} })).sysctl, undefined);
  });

  it('devices are created and allowed with their own permissions', () => {
    const device = { path: '/dev/f', type: 'c' as const, major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0, access: 'r' };
    const s = spec({ devices: [device] });
    assert.deepEqual(linux(s).devices, [{ path: '/dev/f', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }]);
    assert.deepEqual(s.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'r' });
    assert.deepEqual(spec({ devices: [device], privileged: true }).linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  });

  it('per-device weights and throttles go to blockIO; device cgroup rules follow the defaults', () => {
    const r = spec({ resources: {
      blkioWeightDevices: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBps: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIops: [{ major: 8, minor: 16, rate: 100 }],
    } }).linux.resources as Record<string, unknown>;
    assert.deepEqual(r.blockIO, {
      weightDevice: [{ major: 8, minor: 0, weight: 200 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
    });
    const rules = spec({ deviceRules: [{ type: 'c', major: 10, access: 'rw' }] }).linux.resources.devices;
    assert.deepEqual(rules.at(-1), { allow: true, type: 'c', major: 10, access: 'rw' });
    assert.equal((spec().linux.resources as Record<string, unknown>).blockIO, undefined);
  });

  it('masked and read-only paths of the client\'s choosing, the domain name and annotations', () => {
    const s = spec({ maskedPaths: [], readonlyPaths: ['/proc/sys'], domainname: 'example.org', annotations: { 'org.example/a': 'b' } }) as Spec & { domainname?: string; annotations?: Record<string, string> };
    assert.deepEqual([s.linux.maskedPaths, s.linux.readonlyPaths], [[], ['/proc/sys']]);
    assert.equal(s.domainname, 'example.org');
    assert.deepEqual(s.annotations, { 'org.example/a': 'b' });
    const plain = spec() as Spec & { domainname?: string; annotations?: Record<string, string> };
    assert.deepEqual(plain.linux.maskedPaths, [...MASKED_PATHS]);
    assert.equal(plain.domainname, undefined);
    assert.equal(plain.annotations, undefined);
  });

  it('cpuset mems, swappiness and the block I/O weight', () => {
    const r = spec({ resources: { cpusetMems: '0', swappiness: 10, blkioWeight: 300 } }).linux.resources as Record<string, unknown>;
    assert.deepEqual(r.cpu, { mems: '0' });
    assert.deepEqual(r.memory, { swappiness: 10 });
    assert.deepEqual(r.blockIO, { weight: 300 });
  });
});
