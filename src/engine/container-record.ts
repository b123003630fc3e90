import type { ApiMount } from '../volume/mount-config.js';
import type { HealthConfig } from '../image/image-config.js';
import type { MountPoint } from '../volume/mount-point.js';
import type { HealthState } from './health-config.js';

/**
 * What berth keeps about a container, in the Docker API's own field names so that
 * inspect is the record itself plus computed fields.
 */

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Healthcheck?: HealthConfig;
  /** The image's SHELL, which a CMD-SHELL healthcheck runs in. */
  Shell?: string[];
}

export interface HostConfig {
  NetworkMode: string;
  Runtime: string;
  AutoRemove: boolean;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  /** As the client sent it; a seccomp profile file arrives as its JSON content. */
  SecurityOpt: string[] | null;
  Memory: number;
  MemorySwap: number;
  MemoryReservation: number;
  NanoCpus: number;
  CpuShares: number;
  CpuQuota: number;
  CpuPeriod: number;
  CpusetCpus: string;
  PidsLimit: number | null;
  OomKillDisable: boolean | null;
  ShmSize: number;
  Ulimits: { Name: string; Soft: number; Hard: number }[] | null;
  ExtraHosts: string[] | null;
  Dns: string[] | null;
  Binds: string[] | null;
  Mounts?: ApiMount[] | null;
  Tmpfs?: Record<string, string> | null;
  RestartPolicy: { Name: string; MaximumRetryCount: number };
  LogConfig: { Type: string; Config: Record<string, string> };
  [key: string]: unknown;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Only for a container with a healthcheck. */
  Health?: HealthState;
}

export interface ContainerRecord {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string; // sha256:<image id>
  Name: string; // with docker's leading slash
  RestartCount: number;
  Driver: string;
  Platform: string;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  LogPath: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** The pid of the conmon monitoring the running container (berth's own field). */
  MonitorPid: number;
  /** Its mounts, decided at create (berth's own field; inspect shows them as Mounts). Absent in records older than mounts. */
  MountPoints?: MountPoint[];
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
