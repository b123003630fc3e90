import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostOptions, checkSysctls, joinedContainer, parseCpuList, parseDeviceRule } from '../../src/engine/host-options.js';
import { defaultHostConfig } from '../../src/engine/create-config.js';
import type { HostConfig } from '../../src/engine/container-record.js';
import type { HostFacts } from '../../src/runtime/host-facts.js';

const facts: HostFacts = { onlineCpus: '0-1', onlineMems: '0', swappiness: true, blkioWeight: true, blkioThrottle: true };
const host = (fields: Record<string, unknown>): HostConfig => ({ ...defaultHostConfig('crun'), ...fields });
const refused = (fields: Record<string, unknown>, message: RegExp, hostFacts = facts) =>
  assert.throws(() => checkHostOptions(host(fields), hostFacts), (error: Error & { kind?: string }) => message.test(error.message) && error.kind === 'invalid-argument');

describe('parseCpuList', () => {
  it('reads the kernel list form', () => {
    assert.deepEqual([...parseCpuList('0-2,5')!], [0, 1, 2, 5]);
    assert.deepEqual([...parseCpuList('3')!], [3]);
  });
  it('refuses what is not a list', () => {
    for (const bad of ['', 'a', '1-', '3-1', '1,,2']) assert.equal(parseCpuList(bad), undefined, bad);
  });
});

describe('checkHostOptions', () => {
  it('passes a default HostConfig without warnings', () => {
    assert.deepEqual(checkHostOptions(host({}), facts), []);
  });

  it('namespace modes: docker\'s names and container:<ref>', () => {
    assert.deepEqual(checkHostOptions(host({ IpcMode: 'container:db' }), facts), []);
    assert.deepEqual(checkHostOptions(host({ PidMode: 'container:web', IpcMode: 'shareable', UTSMode: 'host', CgroupnsMode: 'private', UsernsMode: 'host' }), facts), []);
    refused({ PidMode: 'bogus' }, /^invalid PID mode: bogus$/);
    refused({ PidMode: 'container:' }, /^invalid PID mode: container:$/);
    refused({ UTSMode: 'container:x' }, /^invalid UTS mode: container:x$/);
    refused({ CgroupnsMode: 'shared' }, /^invalid cgroup namespace mode: shared$/);
    refused({ UsernsMode: 'remap' }, /does not support UsernsMode remap/);
    assert.equal(joinedContainer('container:web'), 'web');
    assert.equal(joinedContainer('host'), undefined);
  });

  it('cpusets must name what the host has', () => {
    assert.deepEqual(checkHostOptions(host({ CpusetCpus: '0-1', CpusetMems: '0' }), facts), []);
    refused({ CpusetCpus: '2' }, /^Requested CPUs are not available - requested 2, available: 0-1$/);
    refused({ CpusetMems: '1' }, /^Requested memory nodes are not available - requested 1, available: 0$/);
    refused({ CpusetMems: 'x' }, /^Invalid value x for cpuset mems$/);
  });

  it('ranges of oom score, swappiness and blkio weight', () => {
    refused({ OomScoreAdj: 1001 }, /range for oom score adj is \[-1000, 1000\]/);
    refused({ MemorySwappiness: 101 }, /valid memory swappiness range is 0-100/);
    refused({ BlkioWeight: 9 }, /^Range of blkio weight is from 10 to 1000$/);
    assert.deepEqual(checkHostOptions(host({ OomScoreAdj: -1000, MemorySwappiness: -1, BlkioWeight: 1000 }), facts), []);
  });

  it('settings the host cannot apply are discarded with docker\'s warnings', () => {
    const config = host({ MemorySwappiness: 10, BlkioWeight: 300 });
    const warnings = checkHostOptions(config, { ...facts, swappiness: false, blkioWeight: false });
    assert.equal(warnings.length, 2);
    assert.ok(warnings.some((warning) => /Memory swappiness discarded/.test(warning)));
    assert.ok(warnings.some((warning) => /Weight discarded/.test(warning)));
    assert.equal(config.MemorySwappiness, null);
    assert.equal(config.BlkioWeight, 0);
  });

  it('ports: refused without a bridge network, discarded with a warning on the host network', () => {
    refused({ PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }, /does not publish ports yet/);
    refused({ PublishAllPorts: true }, /does not publish ports yet/);
    const onHost = host({ NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } });
    assert.deepEqual(checkHostOptions(onHost, facts), ['Published ports are discarded when using host network mode']);
    assert.deepEqual(onHost.PortBindings, {});
  });

  it('devices need absolute paths and rwm permissions', () => {
    refused({ Devices: [{ PathOnHost: 'dev/null' }] }, /must be absolute/);
    refused({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: 'x' }] }, /must be absolute/);
    refused({ Devices: [{ PathOnHost: '/dev/null', CgroupPermissions: 'rx' }] }, /invalid device mode: rx/);
  });

  it('links are discarded with a warning (compose adds them to its dependencies on its own)', () => {
    const config = host({ Links: ['/db:/web_run/db'] });
    assert.deepEqual(checkHostOptions(config, facts), ['Links are discarded: they need the default bridge network, which berth does not provide yet']);
    assert.equal(config.Links, null);
  });

  it('per-device I/O limits: checked, and discarded with docker\'s warnings where the kernel lacks them', () => {
    refused({ BlkioDeviceReadBps: [{ Path: 'sda', Rate: 1 }] }, /must be absolute/);
    refused({ BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: -1 }] }, /invalid rate -1/);
    refused({ BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 5 }] }, /Range of blkio weight is from 10 to 1000/);
    refused({ DeviceCgroupRules: ['c 1:3'] }, /invalid device cgroup format 'c 1:3'/);
    const config = host({ BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }], BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 5 }], BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 100 }] });
    assert.deepEqual(checkHostOptions(config, { ...facts, blkioThrottle: false, blkioWeight: false }), [
      'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
      'Your kernel does not support IOPs Block I/O write limit or the cgroup is not mounted. Block I/O IOPs write limit discarded.',
      'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
    ]);
    assert.deepEqual(config.BlkioDeviceReadBps, []);
    assert.deepEqual(config.BlkioWeightDevice, []);
  });

  it('isolation other than default, logging drivers other than json-file and local, and storage options are refused', () => {
    refused({ Isolation: 'hyperv' }, /Invalid isolation: "hyperv" - linux only supports 'default'/);
    refused({ LogConfig: { Type: 'syslog', Config: {} } }, /does not support the syslog logging driver yet/);
    assert.deepEqual(checkHostOptions(host({ LogConfig: { Type: 'none', Config: {} } }), facts), ['The none logging driver is not implemented: berth keeps the container\'s output in its log file']);
    assert.deepEqual(checkHostOptions(host({ LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3', tag: 'x' } } }), facts), ['Log options max-file, max-size are not applied yet: berth keeps the whole log, without rotation']);
    refused({ StorageOpt: { size: '1G' } }, /StorageOpt \(--storage-opt\)/);
    assert.deepEqual(checkHostOptions(host({ Isolation: 'default', LogConfig: { Type: 'local', Config: {} } }), facts), []);
  });

  it('fields berth does not implement are named in the refusal', () => {
    refused({ CpuRealtimeRuntime: 1000 }, /^berth does not support CpuRealtimeRuntime \(--cpu-rt-runtime\) yet$/);
    refused({ DeviceRequests: [{ Count: -1 }] }, /--gpus/);
    assert.deepEqual(checkHostOptions(host({ VolumesFrom: [], Links: null, CgroupParent: '' }), facts), []);
  });

  it('a cgroup parent is a path of plain names', () => {
    assert.deepEqual(checkHostOptions(host({ CgroupParent: '/ci/jobs' }), facts), []);
    refused({ CgroupParent: '../escape' }, /invalid cgroup parent \.\.\/escape/);
    refused({ CgroupParent: 'machine.slice' }, /not a systemd slice/);
  });
});

describe('parseDeviceRule', () => {
  it('reads docker\'s rule form, * as any', () => {
    assert.deepEqual(parseDeviceRule('c 1:3 rwm'), { type: 'c', major: 1, minor: 3, access: 'rwm' });
    assert.deepEqual(parseDeviceRule('b 8:* r'), { type: 'b', major: 8, minor: undefined, access: 'r' });
    assert.deepEqual(parseDeviceRule('a *:* m'), { type: 'a', major: undefined, minor: undefined, access: 'm' });
  });
  it('refuses anything else', () => {
    for (const bad of ['c 1:3', 'x 1:3 r', 'c 1:3 rx', 'c a:3 r', 'c 1 r']) assert.throws(() => parseDeviceRule(bad), /invalid device cgroup format/, bad);
  });
});

describe('checkSysctls', () => {
  const none = { network: false, ipc: false, uts: false };
  it('allows the namespaced keys', () => {
    checkSysctls({ 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '1', 'net.ipv4.ip_forward': '1', 'kernel.domainname': 'x' }, none);
  });
  it('refuses keys of no namespace, and keys of a namespace shared with the host', () => {
    assert.throws(() => checkSysctls({ 'vm.swappiness': '1' }, none), /"vm.swappiness" is not in a separate kernel namespace/);
    assert.throws(() => checkSysctls({ 'kernel.hostname': 'x' }, none), /use --hostname/);
    assert.throws(() => checkSysctls({ 'net.core.somaxconn': '1' }, { ...none, network: true }), /host's network namespace/);
    assert.throws(() => checkSysctls({ 'kernel.sem': '1' }, { ...none, ipc: true }), /host's IPC namespace/);
    assert.throws(() => checkSysctls({ 'kernel.domainname': 'x' }, { ...none, uts: true }), /host's UTS namespace/);
  });
});
