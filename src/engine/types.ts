import type { Readable, Writable } from 'node:stream';
import type { ContainerConfig, HostConfig } from './container-record.js';

/**
 * The engine's public contract, in the Docker API's vocabulary but free of HTTP:
 * the API layer turns requests into these calls and their results into responses.
 * Errors are BerthError (src/common/errors.ts) whose kind decides the HTTP status.
 */

export type Filters = Record<string, string[]>;

export interface CreateContainerRequest extends Partial<ContainerConfig> {
  Image: string;
  HostConfig?: Partial<HostConfig>;
  NetworkingConfig?: unknown;
}

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  /** Number of lines from the end; undefined = all. */
  tail?: number;
  /** Unix seconds (may be fractional); only records at or after / before. */
  since?: number;
  until?: number;
  timestamps: boolean;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Replay the log first (docker attach ?logs=1). */
  logs: boolean;
  stream: boolean;
}

/** A live connection to a process's stdio: the API frames `output` for the client. */
export interface StdioSession {
  tty: boolean;
  /** Present when the client asked for stdin and the process has one open. */
  stdin?: Writable;
  output: AsyncIterable<OutputChunk[]>;
  /**
   * Present when the end of the client's input ends the session, as dockerd does
   * for an attach without StdinOnce and for every tty: ends this client's input,
   * leaving the process's stdin open for the next one, and settles once what the
   * client sent has been delivered. Absent: the end of input closes the process's
   * stdin and output goes on to its end (StdinOnce attach, exec without a tty).
   */
  finishInput?: () => Promise<void>;
  /** The detach keys its creator named (an exec's DetachKeys), docker's --detach-keys syntax. */
  detachKeys?: string;
  /** Stops following output and releases the session's resources. */
  close(): void;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

export interface ExecCreateRequest {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
  DetachKeys?: string;
  /** [height, width] of the client's terminal: the pty starts at that size. */
  ConsoleSize?: [number, number] | null;
}

export interface ExecSession extends StdioSession {
  /** Resolves with the exec'd process's exit code. */
  exitCode: Promise<number>;
}

export interface ContainerApi {
  create(request: CreateContainerRequest, options: { name?: string }): Promise<{ Id: string; Warnings: string[] }>;
  /** false when it was already running (the API answers 304). */
  start(ref: string): Promise<boolean>;
  /** false when it was not running (304). */
  stop(ref: string, options: { timeout?: number; signal?: string }): Promise<boolean>;
  restart(ref: string, options: { timeout?: number; signal?: string }): Promise<void>;
  kill(ref: string, signal?: string): Promise<void>;
  remove(ref: string, options: { force: boolean; volumes: boolean }): Promise<void>;
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult>;
  list(options: { all: boolean; limit?: number; size: boolean; filters: Filters }): Promise<object[]>;
  inspect(ref: string, options: { size: boolean }): Promise<object>;
  logs(ref: string, options: LogsOptions, signal: AbortSignal): Promise<{ tty: boolean; output: AsyncIterable<OutputChunk[]> }>;
  attach(ref: string, options: AttachOptions): Promise<StdioSession>;
  resize(ref: string, height: number, width: number): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  rename(ref: string, newName: string): Promise<void>;
  top(ref: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  export(ref: string): Promise<Readable>;
}

export interface ExecApi {
  create(containerRef: string, request: ExecCreateRequest): Promise<{ Id: string }>;
  start(execId: string, options: { detach: boolean; tty?: boolean }): Promise<ExecSession>;
  resize(execId: string, height: number, width: number): Promise<void>;
  inspect(execId: string): Promise<object>;
}

export interface StatsOptions {
  /** One sample a second until the client leaves, else a single sample. */
  stream: boolean;
  /** With stream off: answer at once, without waiting a second for precpu_stats. */
  oneShot: boolean;
}

/** `POST /containers/{id}/update`: docker's Resources plus RestartPolicy; 0, "" and absent mean unchanged. */
export interface ContainerUpdateRequest {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  BlkioWeight?: number;
  PidsLimit?: number | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
}

export interface ContainerStatsApi {
  /** Samples in docker's stats JSON; throws not-found before yielding when the container does not exist. */
  samples(ref: string, options: StatsOptions, signal: AbortSignal): AsyncIterable<object>;
  update(ref: string, request: ContainerUpdateRequest): Promise<{ Warnings: string[] }>;
}

export interface ArchivePutOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (the API's noOverwriteDirNonDir). */
  noOverwriteDirNonDir: boolean;
  /** Own every extracted node by the container's user (the API's copyUIDGID, `docker cp -a`). */
  copyUIDGID: boolean;
}

/** `docker cp`: `/containers/{id}/archive`. Paths are container paths; stat is docker's ContainerPathStat. */
export interface ContainerArchiveApi {
  stat(ref: string, path: string): Promise<import('../common/container-path-stat.js').ContainerPathStat>;
  get(ref: string, path: string): Promise<{ stat: import('../common/container-path-stat.js').ContainerPathStat; tar: Readable; released: Promise<void> }>;
  /** Unpacks `tar` into the existing directory `path`. */
  put(ref: string, path: string, tar: Readable, options: ArchivePutOptions): Promise<void>;
}

/** `docker diff` and the prune endpoints (src/engine/maintenance.ts); Kind: 0 modified, 1 added, 2 deleted. */
export interface MaintenanceApi {
  changes(ref: string): Promise<Array<{ Path: string; Kind: 0 | 1 | 2 }>>;
  pruneContainers(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
  pruneImages(filters: Filters): Promise<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }>; SpaceReclaimed: number }>;
}
