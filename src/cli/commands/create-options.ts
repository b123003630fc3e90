/**
 * The flags `run` and `create` share (docker's names), and their mapping onto the body of
 * POST /containers/create.
 */
import type { Command } from 'commander';
import { FlagError, invalidFlagValue } from '../errors.js';
import { parseRamSize } from '../format/units.js';
import { absoluteIfRelative, type MountFlag, parseMountFlag } from '../opts/mount.js';
import {
  keyValueMap,
  normalizeCapability,
  parseAddHost,
  parseExpose,
  parseGoDuration,
  parseIntFlag,
  parseLabels,
  parseNanoCpus,
  parsePublish,
  parseRestart,
  parseSizeFlag,
  parseUlimit,
  readEnvFile,
  readLabelFile,
  resolveEnvEntry,
  type PortBinding,
} from '../opts/parse.js';
import { readSecurityOpts } from '../opts/security-opt.js';

/** What commander collects for run/create: strings as typed, repeated flags as arrays. */
/** The resource flags `run`/`create` and `update` share, as typed. */
export interface ResourceFlags {
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  blkioWeight?: string;
  pidsLimit?: string;
}

/**
 * The HostConfig resource fields of those flags as docker's CLI sends them: 0 or '' when not
 * given, PidsLimit only when given; --memory-swap also takes -1 (unlimited swap).
 */
export function resourceFields(flags: ResourceFlags): Record<string, unknown> {
  return {
    Memory: optionalSize(flags.memory, '-m, --memory'),
    MemorySwap: flags.memorySwap === '-1' ? -1 : optionalSize(flags.memorySwap, '--memory-swap'),
    MemoryReservation: optionalSize(flags.memoryReservation, '--memory-reservation'),
    NanoCpus: flags.cpus === undefined ? 0 : parseNanoCpus(flags.cpus),
    CpuShares: optionalInt(flags.cpuShares, '-c, --cpu-shares'),
    CpuQuota: optionalInt(flags.cpuQuota, '--cpu-quota'),
    CpuPeriod: optionalInt(flags.cpuPeriod, '--cpu-period'),
    CpusetCpus: flags.cpusetCpus ?? '',
    CpusetMems: flags.cpusetMems ?? '',
    BlkioWeight: optionalInt(flags.blkioWeight, '--blkio-weight'),
    ...(flags.pidsLimit === undefined ? {} : { PidsLimit: parseIntFlag(flags.pidsLimit, '--pids-limit') }),
  };
}

export interface CreateFlags extends ResourceFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env: string[];
  envFile: string[];
  user?: string;
  workdir?: string;
  hostname?: string;
  entrypoint?: string;
  label: string[];
  network?: string;
  net?: string;
  runtime?: string;
  privileged?: boolean;
  readOnly?: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  oomKillDisable?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  init?: boolean;
  volume: string[];
  mount: string[];
  tmpfs: string[];
  publish: string[];
  expose: string[];
  restart?: string;
  ulimit: string[];
  shmSize?: string;
  addHost: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  domainname?: string;
  attach: string[];
  sigProxy?: boolean;
  pull?: string;
  platform?: string;
  quiet?: boolean;
  logDriver?: string;
  logOpt: string[];
  detachKeys?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  cgroupns?: string;
  userns?: string;
  sysctl: string[];
  device: string[];
  groupAdd: string[];
  oomScoreAdj?: string;
  memorySwappiness?: string;
  volumesFrom: string[];
  deviceCgroupRule: string[];
  deviceReadBps: string[];
  deviceWriteBps: string[];
  deviceReadIops: string[];
  deviceWriteIops: string[];
  blkioWeightDevice: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  healthRetries?: string;
  healthcheck?: boolean;
  cidfile?: string;
  labelFile: string[];
  publishAll?: boolean;
  link: string[];
  annotation: string[];
  isolation?: string;
  storageOpt: string[];
  cgroupParent?: string;
  gpus?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  volumeDriver?: string;
  disableContentTrust?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds docker's run/create flags; options stop at the image so the container's own flags pass through. */
export function addCreateOptions(cmd: Command, withRunFlags: boolean): Command {
  cmd
    .helpOption('--help', 'Print usage')
    .passThroughOptions()
    .argument('<image>')
    .argument('[command...]')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]');
  if (withRunFlags) {
    cmd
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--sig-proxy', 'Proxy received signals to the process', true)
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  }
  return cmd
    .option('-a, --attach <stream>', 'Attach to STDIN, STDOUT or STDERR', collect, [])
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--name <string>', 'Assign a name to the container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-h, --hostname <string>', 'Container host name')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-l, --label <list>', 'Set meta data on a container', collect, [])
    .option('--network <network>', 'Connect a container to a network')
    .option('--net <network>', 'Connect a container to a network (alias of --network)')
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--privileged', 'Give extended privileges to this container')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, [])
    .option('--security-opt <list>', 'Security Options', collect, [])
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [])
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect, [])
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect, [])
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect, [])
    .option('--expose <list>', 'Expose a port or a range of ports', collect, [])
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--ulimit <ulimit>', 'Ulimit options', collect, [])
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--dns <list>', 'Set custom DNS servers', collect, [])
    .option('--dns-search <list>', 'Set custom DNS search domains', collect, [])
    .option('--dns-option <list>', 'Set DNS options', collect, [])
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress the pull output')
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect, [])
    .option('--pid <string>', 'PID namespace to use')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--userns <string>', 'User namespace to use')
    .option('--sysctl <map>', 'Sysctl options', collect, [])
    .option('--device <list>', 'Add a host device to the container', collect, [])
    .option('--group-add <list>', 'Add additional groups to join', collect, [])
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)")
    .option('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('--blkio-weight-device <list>', 'Block IO weight (relative device weight)', collect, [])
    .option('--device-read-bps <list>', 'Limit read rate (bytes per second) from a device', collect, [])
    .option('--device-write-bps <list>', 'Limit write rate (bytes per second) to a device', collect, [])
    .option('--device-read-iops <list>', 'Limit read rate (IO per second) from a device', collect, [])
    .option('--device-write-iops <list>', 'Limit write rate (IO per second) to a device', collect, [])
    .option('--device-cgroup-rule <list>', 'Add a rule to the cgroup allowed devices list', collect, [])
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect, [])
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)')
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)')
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)')
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)')
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy')
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--cidfile <string>', 'Write the container ID to the file')
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect, [])
    .option('-P, --publish-all', 'Publish all exposed ports to random ports')
    .option('--link <list>', 'Add link to another container', collect, [])
    .option('--annotation <map>', 'Add an annotation to the container (passed through to the OCI runtime)', collect, [])
    .option('--isolation <string>', 'Container isolation technology')
    .option('--storage-opt <list>', 'Storage driver options for the container', collect, [])
    .option('--cgroup-parent <string>', 'Optional parent cgroup for the container')
    .option('--gpus <gpu-request>', 'GPU devices to add to the container (\'all\' to pass all GPUs)')
    .option('--cpu-rt-period <int>', 'Limit CPU real-time period in microseconds')
    .option('--cpu-rt-runtime <int>', 'Limit CPU real-time runtime in microseconds')
    .option('--volume-driver <string>', 'Optional volume driver for the container')
    .option('--disable-content-trust', 'Skip image verification (default true)');
}

/** docker's Healthcheck from the --health-* flags: undefined when none is given, NONE for --no-healthcheck. */
function healthConfig(flags: CreateFlags): Record<string, unknown> | undefined {
  const duration = (value: string | undefined, flag: string): number => {
    if (value === undefined) return 0;
    const ns = parseGoDuration(value, flag);
    if (ns < 0) throw new FlagError(`${flag} cannot be negative`);
    return ns;
  };
  const settings = {
    Interval: duration(flags.healthInterval, '--health-interval'),
    Timeout: duration(flags.healthTimeout, '--health-timeout'),
    StartPeriod: duration(flags.healthStartPeriod, '--health-start-period'),
    StartInterval: duration(flags.healthStartInterval, '--health-start-interval'),
    Retries: flags.healthRetries === undefined ? 0 : parseIntFlag(flags.healthRetries, '--health-retries'),
  };
  const given = flags.healthCmd !== undefined || Object.values(settings).some((value) => value !== 0);
  // commander's --no-healthcheck sets healthcheck to false; it is true (the default) otherwise.
  if (flags.healthcheck === false) {
    if (given) throw new FlagError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!given) return undefined;
  if (settings.Retries < 0) throw new FlagError('--health-retries cannot be negative');
  // As docker's CLI sends it (Go's omitempty): unset durations and retries are left out.
  const set = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== 0));
  return { Test: flags.healthCmd ? ['CMD-SHELL', flags.healthCmd] : [], ...set };
}

/** key=value flags the API takes as a map (--annotation, --storage-opt), undefined when none is given. */
function keyValues(values: string[], flag: string): Record<string, string> | undefined {
  if (!values.length) return undefined;
  return keyValueMap(values, (value) => invalidFlagValue(value, flag, `invalid key=value pair: ${value}`));
}

/** docker's --link NAME[:ALIAS], sent as NAME:ALIAS. */
function linkSpec(value: string): string {
  const [name = '', alias] = value.split(':');
  if (!name) throw invalidFlagValue(value, '--link', `invalid link: ${value}`);
  return `${name}:${alias || name}`;
}

/** docker's --gpus: all, a count, or device=ID[,ID]; berthd refuses GPU requests by name. */
function gpuRequest(value: string): Record<string, unknown> {
  const device = /^device=(.+)$/.exec(value);
  if (device) return { Driver: '', Count: 0, DeviceIDs: device[1]!.split(','), Capabilities: [['gpu']], Options: {} };
  const count = value === 'all' ? -1 : /^\d+$/.test(value) ? Number(value) : undefined;
  if (count === undefined) throw invalidFlagValue(value, '--gpus', `invalid gpu request: ${value}`);
  return { Driver: '', Count: count, Capabilities: [['gpu']], Options: {} };
}

/** DEVICE:AMOUNT of the per-device block I/O flags; docker's CLI wants a path under /dev. */
function deviceAmount(value: string, flag: string, parse: (text: string) => number | undefined): { Path: string; amount: number } {
  const colon = value.lastIndexOf(':');
  const path = colon < 0 ? value : value.slice(0, colon);
  if (colon < 0 || !path.startsWith('/dev/')) throw invalidFlagValue(value, flag, `bad format for device path: ${value}`);
  const amount = parse(value.slice(colon + 1));
  if (amount === undefined || amount < 0) throw invalidFlagValue(value, flag, `invalid value for device: ${value}`);
  return { Path: path, amount };
}

const bytesPerSecond = (text: string): number | undefined => {
  try {
    return parseRamSize(text);
  } catch {
    return undefined;
  }
};
const wholeNumber = (text: string): number | undefined => (/^\d+$/.test(text) ? Number(text) : undefined);

function deviceRate(value: string, flag: string, parse: (text: string) => number | undefined): { Path: string; Rate: number } {
  const { Path, amount } = deviceAmount(value, flag, parse);
  return { Path, Rate: amount };
}

/** docker's --device host[:container][:permissions]. */
function parseDevice(value: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = value.split(':');
  let permissions = 'rwm';
  if (parts.length > 1 && /^[rwm]{1,3}$/.test(parts[parts.length - 1]!)) permissions = parts.pop()!;
  if (parts.length > 2 || !parts[0]) throw invalidFlagValue(value, '--device', `bad format for path: ${value}`);
  return { PathOnHost: parts[0], PathInContainer: parts[1] || parts[0], CgroupPermissions: permissions };
}

export interface CreateBody {
  [key: string]: unknown;
  HostConfig: Record<string, unknown>;
}

function optionalSize(value: string | undefined, flag: string): number {
  return value === undefined ? 0 : parseSizeFlag(value, flag);
}

function optionalInt(value: string | undefined, flag: string): number {
  return value === undefined ? 0 : parseIntFlag(value, flag);
}

/** The POST /containers/create body docker's CLI sends for these flags (name and platform go in the query). */
export function buildCreateBody(flags: CreateFlags, image: string, cmd: string[], env: NodeJS.ProcessEnv = process.env): CreateBody {
  const attach = new Set(flags.attach.map((s) => s.toLowerCase()));
  for (const stream of attach) {
    if (!['stdin', 'stdout', 'stderr'].includes(stream)) throw new FlagError(`invalid argument "${stream}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  }
  if (flags.detach && attach.size > 0) throw new FlagError('Conflicting options: -a and -d');
  const interactive = flags.interactive ?? false;
  const attachStdin = !flags.detach && (attach.size ? attach.has('stdin') : interactive);
  const attachStdout = !flags.detach && (attach.size ? attach.has('stdout') : true);
  const attachStderr = !flags.detach && (attach.size ? attach.has('stderr') : true);

  const envList = [...flags.envFile.flatMap((file) => readEnvFile(file, env)), ...flags.env.map((e) => resolveEnvEntry(e, env))];

  const portBindings: Record<string, PortBinding[]> = {};
  const exposedPorts: Record<string, Record<string, never>> = {};
  for (const spec of flags.publish) parsePublish(spec, portBindings, exposedPorts);
  for (const spec of flags.expose) parseExpose(spec, exposedPorts);

  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of flags.volume) {
    if (spec === '') throw new FlagError('invalid empty volume spec');
    const colon = spec.indexOf(':');
    // As docker's CLI: a host path given relative with a leading dot is made absolute here.
    if (colon >= 0) binds.push(`${absoluteIfRelative(spec.slice(0, colon))}${spec.slice(colon)}`);
    else volumes[spec] = {};
  }
  const mounts: MountFlag[] = flags.mount.map((value) => {
    try {
      return parseMountFlag(value);
    } catch (error) {
      throw invalidFlagValue(value, '--mount', (error as Error).message);
    }
  });

  const tmpfs: Record<string, string> = {};
  for (const spec of flags.tmpfs) {
    const colon = spec.indexOf(':');
    tmpfs[colon < 0 ? spec : spec.slice(0, colon)] = colon < 0 ? '' : spec.slice(colon + 1);
  }

  const restart = parseRestart(flags.restart ?? 'no');
  if (flags.rm && restart.Name !== 'no') throw new FlagError('Conflicting options: --restart and --rm');

  const logConfig = keyValueMap(flags.logOpt, (opt) => new FlagError(`invalid key/value pair format in logging opts: ${opt}`));

  const networkMode = flags.network ?? flags.net ?? 'default';

  const systemPaths = flags.securityOpt.filter((option) => option.startsWith('systempaths='));
  for (const option of systemPaths) {
    if (option !== 'systempaths=unconfined') throw new FlagError(`invalid --security-opt: "${option}"`);
  }
  const unconfinedPaths = systemPaths.length > 0;
  const securityOpts = flags.securityOpt.filter((option) => !option.startsWith('systempaths='));

  let entrypoint: string[] | undefined;
  if (flags.entrypoint !== undefined) entrypoint = [flags.entrypoint];

  const hostConfig: Record<string, unknown> = {
    Binds: binds.length ? binds : null,
    Mounts: mounts.length ? mounts : undefined,
    LogConfig: { Type: flags.logDriver ?? '', Config: logConfig },
    NetworkMode: networkMode,
    PortBindings: portBindings,
    RestartPolicy: restart,
    AutoRemove: flags.rm ?? false,
    CapAdd: flags.capAdd.length ? flags.capAdd.map(normalizeCapability) : null,
    CapDrop: flags.capDrop.length ? flags.capDrop.map(normalizeCapability) : null,
    SecurityOpt: readSecurityOpts(securityOpts),
    // As docker's CLI: systempaths=unconfined is no option for the daemon but empty lists of paths to mask and make read-only.
    ...(unconfinedPaths ? { MaskedPaths: [], ReadonlyPaths: [] } : {}),
    Dns: flags.dns,
    DnsSearch: flags.dnsSearch,
    DnsOptions: flags.dnsOption,
    ExtraHosts: flags.addHost.length ? flags.addHost.map(parseAddHost) : null,
    Privileged: flags.privileged ?? false,
    ReadonlyRootfs: flags.readOnly ?? false,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    ShmSize: optionalSize(flags.shmSize, '--shm-size'),
    ...resourceFields(flags),
    MemorySwappiness: -1,
    OomKillDisable: flags.oomKillDisable ?? false,
    Ulimits: flags.ulimit.length ? flags.ulimit.map(parseUlimit) : null,
    Init: flags.init ? true : undefined,
    Runtime: flags.runtime,
    PidMode: flags.pid ?? '',
    IpcMode: flags.ipc ?? '',
    UTSMode: flags.uts ?? '',
    CgroupnsMode: flags.cgroupns ?? '',
    UsernsMode: flags.userns ?? '',
    Sysctls: flags.sysctl.length ? keyValueMap(flags.sysctl, (value) => invalidFlagValue(value, '--sysctl', `sysctl '${value}' is not allowed`)) : undefined,
    Devices: flags.device.map(parseDevice),
    GroupAdd: flags.groupAdd.length ? flags.groupAdd : undefined,
    OomScoreAdj: optionalInt(flags.oomScoreAdj, '--oom-score-adj'),
    VolumesFrom: flags.volumesFrom.length ? flags.volumesFrom : undefined,
    PublishAllPorts: flags.publishAll ?? false,
    Links: flags.link.length ? flags.link.map(linkSpec) : undefined,
    Annotations: keyValues(flags.annotation, '--annotation'),
    Isolation: flags.isolation ?? '',
    StorageOpt: keyValues(flags.storageOpt, '--storage-opt'),
    CgroupParent: flags.cgroupParent ?? '',
    DeviceRequests: flags.gpus === undefined ? undefined : [gpuRequest(flags.gpus)],
    CpuRealtimePeriod: optionalInt(flags.cpuRtPeriod, '--cpu-rt-period'),
    CpuRealtimeRuntime: optionalInt(flags.cpuRtRuntime, '--cpu-rt-runtime'),
    VolumeDriver: flags.volumeDriver ?? '',
    DeviceCgroupRules: flags.deviceCgroupRule.length ? flags.deviceCgroupRule : undefined,
    BlkioWeightDevice: flags.blkioWeightDevice.map((value) => {
      const { Path, amount } = deviceAmount(value, '--blkio-weight-device', wholeNumber);
      return { Path, Weight: amount };
    }),
    BlkioDeviceReadBps: flags.deviceReadBps.map((value) => deviceRate(value, '--device-read-bps', bytesPerSecond)),
    BlkioDeviceWriteBps: flags.deviceWriteBps.map((value) => deviceRate(value, '--device-write-bps', bytesPerSecond)),
    BlkioDeviceReadIOps: flags.deviceReadIops.map((value) => deviceRate(value, '--device-read-iops', wholeNumber)),
    BlkioDeviceWriteIOps: flags.deviceWriteIops.map((value) => deviceRate(value, '--device-write-iops', wholeNumber)),
  };
  if (flags.memorySwappiness !== undefined) hostConfig.MemorySwappiness = parseIntFlag(flags.memorySwappiness, '--memory-swappiness');

  const healthcheck = healthConfig(flags);

  const body: CreateBody = {
    Hostname: flags.hostname ?? '',
    Domainname: flags.domainname ?? '',
    User: flags.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(exposedPorts).length ? exposedPorts : undefined,
    Tty: flags.tty ?? false,
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin,
    Env: envList,
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    WorkingDir: flags.workdir ?? '',
    Entrypoint: entrypoint,
    Labels: parseLabels([...flags.labelFile.flatMap(readLabelFile), ...flags.label]),
    StopSignal: flags.stopSignal,
    StopTimeout: flags.stopTimeout === undefined ? undefined : parseIntFlag(flags.stopTimeout, '--stop-timeout'),
    Healthcheck: healthcheck,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: { [networkMode]: {} } },
  };
  return JSON.parse(JSON.stringify(body)) as CreateBody;
}

/** The query of POST /containers/create. */
export function createQuery(flags: CreateFlags): Record<string, string | undefined> {
  return { name: flags.name, platform: flags.platform };
}
