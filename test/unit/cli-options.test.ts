import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { rewriteBooleanAssignments } from '../../src/cli/argv.js';
import { addCreateOptions, buildCreateBody, type CreateFlags } from '../../src/cli/commands/create-options.js';
import { FlagError } from '../../src/cli/errors.js';
import { parseEnvFileContent, parsePublish, readEnvFile, resolveEnvEntry, type PortBinding } from '../../src/cli/opts/parse.js';

interface Parsed {
  image: string;
  command: string[];
  flags: CreateFlags;
}

/** Parses `berth run ARGS` with the real option definitions. */
function parseRun(args: string[]): Parsed {
  let parsed: Parsed | undefined;
  const program = new Command('berth').enablePositionalOptions().exitOverride().configureOutput({ outputError: () => {} });
  const run = program.command('run');
  addCreateOptions(run, true).action((image: string, command: string[], flags: CreateFlags) => {
    parsed = { image, command, flags };
  });
  const rewritten = rewriteBooleanAssignments(run, args);
  run.hook('preAction', () => {
    for (const attribute of rewritten.disabled) run.setOptionValue(attribute, false);
  });
  program.parse(['run', ...rewritten.args], { from: 'user' });
  assert.ok(parsed);
  return parsed;
}

describe('run argument parsing', () => {
  it('stops options at the image: the container keeps its own flags', () => {
    const { image, command, flags } = parseRun(['busybox', 'sh', '-c', 'x']);
    assert.equal(image, 'busybox');
    assert.deepEqual(command, ['sh', '-c', 'x']);
    assert.equal(flags.cpuShares, undefined);
  });

  it('takes run flags before the image, even ones the container also has', () => {
    const { command, flags } = parseRun(['-c', '512', '--rm', 'busybox', 'ls', '--rm', '-l']);
    assert.equal(flags.cpuShares, '512');
    assert.equal(flags.rm, true);
    assert.deepEqual(command, ['ls', '--rm', '-l']);
  });

  it('combines short flags', () => {
    const { flags } = parseRun(['-itd', 'busybox']);
    assert.equal(flags.interactive, true);
    assert.equal(flags.tty, true);
    assert.equal(flags.detach, true);
  });

  it('collects repeated flags in order', () => {
    const { flags } = parseRun(['-e', 'A=1', '--env', 'B=2', '-p', '80:80', '-p8443:443', '-v', '/a:/b', 'img']);
    assert.deepEqual(flags.env, ['A=1', 'B=2']);
    assert.deepEqual(flags.publish, ['80:80', '8443:443']);
    assert.deepEqual(flags.volume, ['/a:/b']);
  });

  it('reads --flag=false for boolean flags, but not after the image', () => {
    const { flags, command } = parseRun(['--sig-proxy=false', '--rm=true', 'busybox', 'x', '--rm=false']);
    assert.equal(flags.sigProxy, false);
    assert.equal(flags.rm, true);
    assert.deepEqual(command, ['x', '--rm=false']);
  });

  it('keeps sig-proxy on by default', () => {
    assert.equal(parseRun(['busybox']).flags.sigProxy, true);
  });
});

describe('run flags to the create body', () => {
  const flagsFor = (args: string[]) => parseRun([...args, 'busybox']).flags;

  it('maps resources, security and host settings like docker', () => {
    const flags = flagsFor([
      '-m', '128m', '--memory-swap', '1g', '--memory-reservation', '64m', '--cpus', '1.5', '-c', '512',
      '--cpu-quota', '50000', '--cpu-period', '100000', '--cpuset-cpus', '0,1', '--pids-limit', '10',
      '--oom-kill-disable', '--privileged', '--read-only', '--cap-add', 'net_admin', '--cap-drop', 'ALL',
      '--network', 'none', '--runtime', 'runc', '--init', '--shm-size', '64m', '--dns', '1.1.1.1',
      '--add-host', 'h:1.2.3.4', '--ulimit', 'nofile=10:20', '--restart', 'on-failure:3', '--tmpfs', '/run:size=1m',
    ]);
    const body = buildCreateBody(flags, 'busybox', ['sh'], {});
    const hc = body.HostConfig;
    assert.equal(hc.Memory, 134217728);
    assert.equal(hc.MemorySwap, 1073741824);
    assert.equal(hc.MemoryReservation, 67108864);
    assert.equal(hc.NanoCpus, 1500000000);
    assert.equal(hc.CpuShares, 512);
    assert.equal(hc.CpuQuota, 50000);
    assert.equal(hc.CpuPeriod, 100000);
    assert.equal(hc.CpusetCpus, '0,1');
    assert.equal(hc.PidsLimit, 10);
    assert.equal(hc.OomKillDisable, true);
    assert.equal(hc.Privileged, true);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.CapAdd, ['CAP_NET_ADMIN']);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.equal(hc.NetworkMode, 'none');
    assert.equal(hc.Runtime, 'runc');
    assert.equal(hc.Init, true);
    assert.equal(hc.ShmSize, 67108864);
    assert.deepEqual(hc.Dns, ['1.1.1.1']);
    assert.deepEqual(hc.ExtraHosts, ['h:1.2.3.4']);
    assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Hard: 20, Soft: 10 }]);
    assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(hc.Tmpfs, { '/run': 'size=1m' });
    assert.deepEqual(body.Cmd, ['sh']);
    assert.equal(body.Image, 'busybox');
  });

  it('maps config settings, attach streams and defaults', () => {
    const flags = flagsFor(['-i', '-t', '--rm', '-u', '1000', '-w', '/tmp', '-h', 'hh', '--entrypoint', '/bin/sh', '-l', 'a=b', '-l', 'c', '--stop-signal', 'SIGINT', '--stop-timeout', '5']);
    const body = buildCreateBody(flags, 'busybox', [], {});
    assert.equal(body.AttachStdin, true);
    assert.equal(body.AttachStdout, true);
    assert.equal(body.OpenStdin, true);
    assert.equal(body.StdinOnce, true);
    assert.equal(body.Tty, true);
    assert.equal(body.User, '1000');
    assert.equal(body.WorkingDir, '/tmp');
    assert.equal(body.Hostname, 'hh');
    assert.deepEqual(body.Entrypoint, ['/bin/sh']);
    assert.deepEqual(body.Labels, { a: 'b', c: '' });
    assert.equal(body.StopSignal, 'SIGINT');
    assert.equal(body.StopTimeout, 5);
    assert.equal(body.Cmd, null);
    assert.equal(body.HostConfig.AutoRemove, true);
    assert.equal(body.HostConfig.NetworkMode, 'default');
    assert.equal(body.HostConfig.MemorySwappiness, -1);
    assert.equal('PidsLimit' in body.HostConfig, false);
  });

  it('detached containers attach nothing', () => {
    const body = buildCreateBody(flagsFor(['-d', '-i']), 'busybox', [], {});
    assert.equal(body.AttachStdin, false);
    assert.equal(body.AttachStdout, false);
    assert.equal(body.AttachStderr, false);
    assert.equal(body.OpenStdin, true);
  });

  it('maps namespaces, sysctls, devices, groups and the other host options like docker', () => {
    const flags = flagsFor([
      '--pid', 'host', '--ipc', 'none', '--uts', 'host', '--cgroupns', 'private', '--userns', 'host',
      '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1000', '--device', '/dev/fuse',
      '--device', '/dev/null:/dev/n:r', '--device', '/dev/sda:rw', '--group-add', 'audio', '--oom-score-adj', '-5',
      '--memory-swappiness', '10', '--cpuset-mems', '0', '--blkio-weight', '300',
    ]);
    const hc = buildCreateBody(flags, 'busybox', [], {}).HostConfig;
    assert.equal(hc.PidMode, 'host');
    assert.equal(hc.IpcMode, 'none');
    assert.equal(hc.UTSMode, 'host');
    assert.equal(hc.CgroupnsMode, 'private');
    assert.equal(hc.UsernsMode, 'host');
    assert.deepEqual(hc.Sysctls, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' });
    assert.deepEqual(hc.Devices, [
      { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/null', PathInContainer: '/dev/n', CgroupPermissions: 'r' },
      { PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rw' },
    ]);
    assert.deepEqual(hc.GroupAdd, ['audio']);
    assert.equal(hc.OomScoreAdj, -5);
    assert.equal(hc.MemorySwappiness, 10);
    assert.equal(hc.CpusetMems, '0');
    assert.equal(hc.BlkioWeight, 300);
    const plain = buildCreateBody(flagsFor([]), 'busybox', [], {}).HostConfig;
    assert.equal(plain.MemorySwappiness, -1);
    assert.equal(plain.Sysctls, undefined);
    assert.deepEqual(plain.Devices, []);
  });

  it('maps --volumes-from, --device-cgroup-rule and the per-device block I/O flags', () => {
    const hc = buildCreateBody(flagsFor([
      '--volumes-from', 'data:ro', '--device-cgroup-rule', 'c 10:229 rwm', '--blkio-weight-device', '/dev/sda:200',
      '--device-read-bps', '/dev/sda:1mb', '--device-write-bps', '/dev/sdb:512', '--device-read-iops', '/dev/sda:100', '--device-write-iops', '/dev/sda:50',
    ]), 'busybox', [], {}).HostConfig;
    assert.deepEqual(hc.VolumesFrom, ['data:ro']);
    assert.deepEqual(hc.DeviceCgroupRules, ['c 10:229 rwm']);
    assert.deepEqual(hc.BlkioWeightDevice, [{ Path: '/dev/sda', Weight: 200 }]);
    assert.deepEqual(hc.BlkioDeviceReadBps, [{ Path: '/dev/sda', Rate: 1048576 }]);
    assert.deepEqual(hc.BlkioDeviceWriteBps, [{ Path: '/dev/sdb', Rate: 512 }]);
    assert.deepEqual(hc.BlkioDeviceReadIOps, [{ Path: '/dev/sda', Rate: 100 }]);
    assert.deepEqual(hc.BlkioDeviceWriteIOps, [{ Path: '/dev/sda', Rate: 50 }]);
    assert.throws(() => buildCreateBody(flagsFor(['--device-read-bps', 'sda:1mb']), 'busybox', [], {}), /bad format for device path: sda:1mb/);
    assert.throws(() => buildCreateBody(flagsFor(['--device-read-iops', '/dev/sda:1k']), 'busybox', [], {}), /invalid value for device/);
  });

  it('maps the --health-* flags and --no-healthcheck as docker\'s CLI does', () => {
    const body = buildCreateBody(flagsFor(['--health-cmd', 'curl -f x', '--health-interval', '1m30s', '--health-timeout', '500ms', '--health-retries', '4', '--health-start-period', '2s', '--health-start-interval', '1.5s']), 'busybox', [], {});
    assert.deepEqual(body.Healthcheck, { Test: ['CMD-SHELL', 'curl -f x'], Interval: 90e9, Timeout: 500e6, StartPeriod: 2e9, StartInterval: 1.5e9, Retries: 4 });
    assert.deepEqual(buildCreateBody(flagsFor(['--no-healthcheck']), 'busybox', [], {}).Healthcheck, { Test: ['NONE'] });
    assert.equal(buildCreateBody(flagsFor([]), 'busybox', [], {}).Healthcheck, undefined);
    assert.deepEqual(buildCreateBody(flagsFor(['--health-retries', '2']), 'busybox', [], {}).Healthcheck, { Test: [], Retries: 2 });
    assert.throws(() => buildCreateBody(flagsFor(['--no-healthcheck', '--health-cmd', 'x']), 'busybox', [], {}), /--no-healthcheck conflicts with --health-\* options/);
    assert.throws(() => buildCreateBody(flagsFor(['--health-interval', '5']), 'busybox', [], {}), /time: missing unit in duration "5"/);
    assert.throws(() => buildCreateBody(flagsFor(['--health-timeout', '1x']), 'busybox', [], {}), /time: invalid duration "1x"/);
    assert.throws(() => buildCreateBody(flagsFor(['--health-interval=-1s']), 'busybox', [], {}), /--health-interval cannot be negative/);
  });

  it('maps --dns-search, --dns-option, --domainname, and systempaths=unconfined as docker\'s CLI does', () => {
    const body = buildCreateBody(flagsFor(['--dns-search', 'a.test', '--dns-option', 'ndots:2', '--domainname', 'example.org', '--security-opt', 'systempaths=unconfined', '--security-opt', 'no-new-privileges']), 'busybox', [], {});
    assert.deepEqual(body.HostConfig.DnsSearch, ['a.test']);
    assert.deepEqual(body.HostConfig.DnsOptions, ['ndots:2']);
    assert.equal(body.Domainname, 'example.org');
    assert.deepEqual([body.HostConfig.MaskedPaths, body.HostConfig.ReadonlyPaths, body.HostConfig.SecurityOpt], [[], [], ['no-new-privileges']]);
    assert.equal(buildCreateBody(flagsFor([]), 'busybox', [], {}).HostConfig.MaskedPaths, undefined);
    assert.throws(() => buildCreateBody(flagsFor(['--security-opt', 'systempaths=confined']), 'busybox', [], {}), /invalid --security-opt: "systempaths=confined"/);
  });

  it('sends the flags berthd refuses or drops by name, so a docker user gets its message, not an unknown flag', () => {
    const body = buildCreateBody(flagsFor([
      '-P', '--link', 'db', '--link', 'cache:c', '--annotation', 'a=b', '--isolation', 'default', '--storage-opt', 'size=1G',
      '--cgroup-parent', 'p', '--gpus', 'all', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '500', '--volume-driver', 'local',
    ]), 'busybox', [], {});
    const hc = body.HostConfig;
    assert.equal(hc.PublishAllPorts, true);
    assert.deepEqual(hc.Links, ['db:db', 'cache:c']);
    assert.deepEqual(hc.Annotations, { a: 'b' });
    assert.deepEqual(hc.StorageOpt, { size: '1G' });
    assert.equal(hc.CgroupParent, 'p');
    assert.deepEqual(hc.DeviceRequests, [{ Driver: '', Count: -1, Capabilities: [['gpu']], Options: {} }]);
    assert.deepEqual([hc.CpuRealtimePeriod, hc.CpuRealtimeRuntime, hc.VolumeDriver, hc.Isolation], [1000, 500, 'local', 'default']);
    assert.throws(() => buildCreateBody(flagsFor(['--gpus', 'some']), 'busybox', [], {}), /invalid gpu request: some/);
  });

  it('refuses malformed --sysctl and --device values', () => {
    assert.throws(() => buildCreateBody(flagsFor(['--sysctl', 'novalue']), 'busybox', [], {}), /invalid argument "novalue" for "--sysctl" flag/);
    assert.throws(() => buildCreateBody(flagsFor(['--device', '/a:/b:/c']), 'busybox', [], {}), /bad format for path/);
  });

  it('maps ports, exposed ports and volumes', () => {
    const body = buildCreateBody(flagsFor(['-p', '8080:80', '-p', '127.0.0.1:53:53/udp', '-p', '9000', '-v', '/a:/b:ro', '-v', '/data', '--expose', '7000']), 'busybox', [], {});
    assert.deepEqual(body.HostConfig.PortBindings, {
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }],
      '9000/tcp': [{ HostIp: '', HostPort: '' }],
    });
    assert.deepEqual(Object.keys(body.ExposedPorts as object).sort(), ['53/udp', '7000/tcp', '80/tcp', '9000/tcp']);
    assert.deepEqual(body.HostConfig.Binds, ['/a:/b:ro']);
    assert.deepEqual(body.Volumes, { '/data': {} });
  });

  it('takes -e VAR from the client environment', () => {
    const body = buildCreateBody(flagsFor(['-e', 'HOME', '-e', 'UNSET_VAR', '-e', 'X=1']), 'busybox', [], { HOME: '/root' });
    assert.deepEqual(body.Env, ['HOME=/root', 'UNSET_VAR', 'X=1']);
  });

  it('rejects bad values with docker\'s messages', () => {
    const cases: Array<[string[], RegExp]> = [
      [['-m', 'foo'], /^invalid argument "foo" for "-m, --memory" flag: invalid size: 'foo'$/],
      [['--cpus', 'x'], /failed to parse x as a rational number/],
      [['-c', 'lots'], /invalid argument "lots" for "-c, --cpu-shares" flag: strconv.ParseInt/],
      [['--restart', 'sometimes'], /invalid restart policy/],
      [['--rm', '--restart', 'always'], /Conflicting options: --restart and --rm/],
      [['-p', '80:99999'], /invalid containerPort/],
      [['--ulimit', 'nofile'], /invalid ulimit argument/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => buildCreateBody(flagsFor(args), 'busybox', [], {}), (e: unknown) => e instanceof FlagError && message.test(e.message), args.join(' '));
    }
  });
});

describe('port publishing', () => {
  it('expands ranges pairwise', () => {
    const bindings: Record<string, PortBinding[]> = {};
    const exposed = {};
    parsePublish('8000-8001:80-81', bindings, exposed);
    assert.deepEqual(bindings, { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] });
  });
  it('reads bracketed IPv6 addresses', () => {
    const bindings: Record<string, PortBinding[]> = {};
    parsePublish('[::1]:8080:80', bindings, {});
    assert.deepEqual(bindings, { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] });
  });
});

describe('env files', () => {
  it('reads VAR=value literally, skips comments and blank lines, takes bare names from the environment', () => {
    const content = '\uFEFF# comment\nA=1\n\n  B=two words \nC="quoted"\nHOME\nMISSING\nD=\n';
    assert.deepEqual(parseEnvFileContent(content, { HOME: '/root' }), ['A=1', 'B=two words ', 'C="quoted"', 'HOME=/root', 'D=']);
  });
  it('rejects names with whitespace', () => {
    assert.throws(() => parseEnvFileContent('BAD NAME=1\n', {}), /variable 'BAD NAME' contains whitespaces/);
  });
  it('reads a file and reports a missing one like docker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-env-'));
    try {
      writeFileSync(join(dir, 'env'), 'X=1\r\nY=2\r\n');
      assert.deepEqual(readEnvFile(join(dir, 'env'), {}), ['X=1', 'Y=2']);
      assert.throws(() => readEnvFile(join(dir, 'nope'), {}), /no such file or directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('resolves -e entries', () => {
    assert.equal(resolveEnvEntry('A=b=c', {}), 'A=b=c');
    assert.equal(resolveEnvEntry('A', { A: 'x' }), 'A=x');
    assert.throws(() => resolveEnvEntry('=x', {}), /invalid environment variable/);
  });
});
