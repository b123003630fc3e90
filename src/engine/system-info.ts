import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, hostname, release, totalmem, type } from 'node:os';
import type { CgroupLayout } from '../runtime/cgroup-layout.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';

export const BERTH_VERSION = '0.1.0';
export const API_VERSION = '1.44';
export const MIN_API_VERSION = '1.24';

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function goArch(): string {
  return GOARCH[arch()] ?? arch();
}

export function versionInfo(): object {
  const kernel = release();
  return {
    Platform: { Name: 'berth' },
    Components: [{ Name: 'Engine', Version: BERTH_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: kernel } }],
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: kernel,
    BuildTime: '',
  };
}

/** The host's PRETTY_NAME from /etc/os-release, read once: it does not change under a running daemon. */
let osNameOnce: Promise<string> | undefined;

function osName(): Promise<string> {
  osNameOnce ??= readFile('/etc/os-release', 'utf8')
    .then((text) => /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? type(), () => type());
  return osNameOnce;
}

/** docker's names for the file system under the data root, from statfs's magic number. */
const FILESYSTEMS: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs',
};

function filesystemName(magic: number): string {
  return FILESYSTEMS[magic] ?? `0x${magic.toString(16)}`;
}

export interface InfoSources {
  containers: { running: number; paused: number; stopped: number; total: number };
  images: number;
  dataRoot: string;
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  cgroups: CgroupLayout;
  /** Whether containers get a seccomp filter (Docker's default profile unless told otherwise). */
  seccomp: boolean;
  warnings: string[];
  engineId: string;
  insecureRegistries: readonly string[];
  registryMirrors: readonly string[];
}

export async function systemInfo(sources: InfoSources): Promise<object> {
  const backing = await statfs(sources.dataRoot).catch(() => undefined);
  const runtimes = Object.fromEntries([...sources.runtimes.values()].map((runtime) => [runtime.name, { path: runtime.path }]));
  const cgroups = sources.cgroups;
  return {
    ID: sources.engineId,
    Containers: sources.containers.total,
    ContainersRunning: sources.containers.running,
    ContainersPaused: sources.containers.paused,
    ContainersStopped: sources.containers.stopped,
    Images: sources.images,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', backing ? filesystemName(backing.type) : 'unknown'], ['Supports d_type', 'true']],
    Plugins: { Volume: [], Network: ['host', 'none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: cgroups.swapAccounting,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    OomKillDisable: cgroups.version === 1,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: String(cgroups.version),
    NEventsListener: 0,
    KernelVersion: release(),
    OperatingSystem: await osName(),
    OSVersion: '',
    OSType: 'linux',
    Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      IndexConfigs: {},
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128', ...sources.insecureRegistries.filter((entry) => entry.includes('/'))],
      Mirrors: [...sources.registryMirrors],
    },
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: sources.dataRoot,
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: runtimes,
    DefaultRuntime: sources.defaultRuntime,
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    SecurityOptions: [...(sources.seccomp ? ['name=seccomp,profile=builtin'] : []), 'name=cgroupns'],
    Warnings: [...cgroups.repairs.map((text) => `berth: ${text}`), ...cgroups.problems.map((text) => `WARNING: ${text}`), ...sources.warnings],
  };
}
