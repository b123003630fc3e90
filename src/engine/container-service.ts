import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { writeJsonAtomic, readJsonIfExists } from '../common/atomic-file.js';
import { BerthError, conflict, invalidArgument, notFound } from '../common/errors.js';
import { runCommand } from '../common/run-command.js';
import type { ImageService } from '../image/images.js';
import { packDirectory } from '../tar/pack.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { openStdinBridge } from '../runtime/attach-socket.js';
import type { CgroupLayout } from '../runtime/cgroup-layout.js';
import type { HostFacts } from '../runtime/host-facts.js';
import type { HealthState } from './health-config.js';
import { resolveDevices, type DeviceMapping } from './host-devices.js';
import { mountShareableShm, unmountShareableShm } from './shareable-shm.js';
import { conmonCreate, resizeTerminal } from '../runtime/conmon.js';
import { logSize, readLogLines } from '../runtime/container-log.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { effectiveCapabilities } from '../runtime/capabilities.js';
import type { SeccompHost } from '../runtime/seccomp-host.js';
import { initialState, ZERO_TIME, type ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './container-paths.js';
import { containerSeccomp } from './container-seccomp.js';
import { blockIoDevices, containerSpec, INIT_BINARY } from './container-spec.js';
import { prepareMounts } from './container-mounts.js';
import { emptyOutput, selectOutput } from './log-output.js';
import { containerSummary, containerInspect, matchesContainerFilters, validateContainerFilters } from './container-views.js';
import { processArgs, resolveConfig, resolveHostConfig } from './create-config.js';
import { type DnsSettings, writeEtcFiles } from './etc-files.js';
import type { EventBus } from './events.js';
import { generateName, validateName } from './names.js';
import { parseSignal } from './signals.js';
import { pathExists } from '../common/path-exists.js';
import { type PlannedMount, planMounts } from '../volume/mount-config.js';
import type { MountPoint } from '../volume/mount-point.js';
import type { VolumeStore } from '../volume/volume-store.js';
import type {
  AttachOptions, ContainerApi, CreateContainerRequest, Filters, LogsOptions, OutputChunk, StdioSession,
  WaitCondition, WaitResult,
} from './types.js';

export interface ContainerServiceSettings {
  paths: ContainerPaths;
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  cgroups: CgroupLayout;
  hostFacts: HostFacts;
  seccomp: SeccompHost;
  /** What berthd's own bounding set lets it grant (see effectiveCapabilities). */
  grantableCapabilities: readonly string[];
}

interface ExitNotice {
  code: number;
  error: string;
}

const DEFAULT_STOP_TIMEOUT = 10;

/**
 * Containers: their records, their lifecycle through conmon and the OCI runtime,
 * and the views the API shows of them. Lifecycle changes of one container run one
 * at a time (a per-container lock); waiting for an exit never holds that lock.
 */
export class ContainerService implements ContainerApi {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly lock = new KeyedMutex();
  private readonly notices = new EventEmitter();
  private exitWatcher: FSWatcher | undefined;

  constructor(
    private readonly settings: ContainerServiceSettings,
    private readonly images: ImageService,
    private readonly volumes: VolumeStore,
    private readonly events: EventBus,
  ) {
    this.notices.setMaxListeners(0);
  }

  private get paths(): ContainerPaths {
    return this.settings.paths;
  }

  // ---- loading and reconciling -------------------------------------------------

  /** Loads every record, then reconciles it with what conmon and the runtime say is running. */
  async load(): Promise<void> {
    await mkdir(this.paths.containersDir(), { recursive: true, mode: 0o710 });
    await mkdir(this.paths.exitDir(), { recursive: true });
    await mkdir(this.paths.socketDir(), { recursive: true });
    for (const id of await readdir(this.paths.containersDir())) {
      const record = await readJsonIfExists<ContainerRecord>(this.paths.record(id));
      if (record) this.records.set(id, record);
      else await this.discardHalfCreated(id);
    }
    this.watchExits();
    await Promise.all([...this.records.values()].map((record) => this.reconcile(record)));
  }

  /** A directory without a record is a create that died midway: nothing in it is anyone's. */
  private async discardHalfCreated(id: string): Promise<void> {
    await this.images.releaseRootfs(id).catch(() => {});
    await rm(this.paths.dir(id), { recursive: true, force: true });
  }

  private async reconcile(record: ContainerRecord): Promise<void> {
    const id = record.Id;
    if (await pathExists(this.paths.exitFile(id))) {
      await this.handleExit(id);
      return;
    }
    const runtime = this.runtimeOf(record);
    const state = await runtime.state(id);
    if (state && (state.status === 'running' || state.status === 'paused')) {
      if (!record.State.Running) {
        // berthd died between the runtime's start and writing the record: adopt it.
        record.State = { ...record.State, Status: state.status, Running: true, Paused: state.status === 'paused', Pid: state.pid, StartedAt: new Date().toISOString() };
        await this.save(record);
      }
      return;
    }
    if (state) await runtime.delete(id).catch(() => {});
    if (record.State.Running) {
      // Its monitor is gone without leaving an exit code (e.g. the host rebooted).
      await this.markExited(record, { code: 255, error: 'container monitor exited without an exit status' }, false);
    }
    await this.images.unmountRootfs(id).catch(() => {});
    unmountShareableShm(this.paths.dir(id));
  }

  private watchExits(): void {
    this.exitWatcher = fsWatch(this.paths.exitDir(), (_event, id) => {
      if (id && this.records.has(id)) void this.handleExit(id).catch((error) => console.error(`berthd: exit of ${id}:`, error));
    });
  }

  close(): void {
    this.exitWatcher?.close();
  }

  // ---- lookup ------------------------------------------------------------------

  /** Finds a container by full id, name, or unique id prefix, as docker does. */
  find(ref: string): ContainerRecord {
    const exact = this.records.get(ref);
    if (exact) return exact;
    const name = `/${ref.replace(/^\//, '')}`;
    for (const record of this.records.values()) if (record.Name === name) return record;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.records.values()].filter((record) => record.Id.startsWith(ref));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw notFound(`No such container: ${ref}`);
  }

  /** Ids of the containers using an image, for the image store's removal rules. */
  containersUsingImage(imageId: string): { id: string; running: boolean }[] {
    return [...this.records.values()]
      .filter((record) => record.Image === imageId)
      .map((record) => ({ id: record.Id, running: record.State.Running }));
  }

  /** A container's capabilities (an exec may ask for privileges of its own). */
  capabilitiesOf(host: ContainerRecord['HostConfig'], privilegedExec = false): string[] {
    return effectiveCapabilities({
      privileged: host.Privileged || privilegedExec,
      add: host.CapAdd ?? [],
      drop: host.CapDrop ?? [],
      grantable: this.settings.grantableCapabilities,
    });
  }

  /** Ids of the containers whose mounts name a volume, whatever their state: docker's "in use". */
  containersUsingVolume(name: string): string[] {
    return [...this.records.values()]
      .filter((record) => (record.MountPoints ?? []).some((mount) => mount.Type === 'volume' && mount.Name === name))
      .map((record) => record.Id);
  }

  private runtimeOf(record: ContainerRecord): OciRuntime {
    const runtime = this.settings.runtimes.get(record.HostConfig.Runtime);
    if (!runtime) throw invalidArgument(`unknown or invalid runtime name: ${record.HostConfig.Runtime}`);
    return runtime;
  }

  private async save(record: ContainerRecord): Promise<void> {
    await writeJsonAtomic(this.paths.record(record.Id), record);
  }

  private eventAttributes(record: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return { ...record.Config.Labels, image: record.Config.Image, name: record.Name.slice(1), ...extra };
  }

  // ---- create ------------------------------------------------------------------

  async create(request: CreateContainerRequest, options: { name?: string }): Promise<{ Id: string; Warnings: string[] }> {
    if (!request.Image) throw invalidArgument('Config.Image must be set');
    const name = options.name ? validateName(options.name) : generateName((n) => this.nameTaken(n));
    const taken = [...this.records.values()].find((record) => record.Name === `/${name}`);
    if (taken) {
      throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const image = await this.images.resolve(request.Image).catch((error: unknown) => {
      if (error instanceof BerthError && error.kind === 'not-found') throw notFound(`No such image: ${request.Image}`);
      throw error;
    });
    const imageConfig = await this.images.imageConfig(image.id);
    const { hostConfig, warnings } = resolveHostConfig(request.HostConfig, {
      defaultRuntime: this.settings.defaultRuntime,
      runtimes: [...this.settings.runtimes.keys()],
      swapAccounting: this.settings.cgroups.swapAccounting,
      hostFacts: this.settings.hostFacts,
    });
    // dockerd reads a seccomp profile and the devices only at start; reading them now too means a bad one leaves no container behind.
    containerSeccomp(hostConfig, this.capabilitiesOf(hostConfig), this.settings.seccomp);
    await Promise.all([resolveDevices((hostConfig.Devices ?? []) as DeviceMapping[]), blockIoDevices(hostConfig)]);
    if (hostConfig.Init && !(await pathExists(INIT_BINARY))) {
      throw invalidArgument(`--init needs ${INIT_BINARY} (Debian package tini), which is not installed`);
    }
    const id = randomBytes(32).toString('hex');
    const config = resolveConfig(request, imageConfig, id);
    const plan = await this.planMounts(hostConfig, config);
    const args = processArgs(config);
    const record: ContainerRecord = {
      Id: id,
      Created: new Date().toISOString(),
      Path: args[0]!,
      Args: args.slice(1),
      State: initialState(),
      Image: image.id,
      Name: `/${name}`,
      RestartCount: 0,
      Driver: 'overlay2',
      Platform: 'linux',
      HostnamePath: this.paths.hostname(id),
      HostsPath: this.paths.hosts(id),
      ResolvConfPath: this.paths.resolvConf(id),
      LogPath: this.paths.log(id),
      Config: config,
      HostConfig: hostConfig,
      MonitorPid: 0,
      MountPoints: plan.map((entry) => entry.mount),
    };
    // The name is claimed before any await below so two creates cannot both take it.
    this.records.set(id, record);
    const createdVolumes: string[] = [];
    try {
      for (const { mount, volume: wish } of plan) {
        if (wish === undefined) continue;
        const { volume, created } = await this.volumes.ensure({ Name: mount.Name!, Driver: wish.driver, Labels: wish.labels, DriverOpts: wish.options });
        if (created) createdVolumes.push(volume.Name);
        mount.Source = volume.Mountpoint;
      }
      await mkdir(this.paths.bundle(id), { recursive: true });
      await mkdir(this.paths.persist(id), { recursive: true });
      await writeFile(this.paths.log(id), '', { mode: 0o600 });
      await this.save(record);
    } catch (error) {
      this.records.delete(id);
      for (const name of createdVolumes) await this.volumes.remove(name, { force: true }).catch(() => {});
      await rm(this.paths.dir(id), { recursive: true, force: true });
      throw error;
    }
    this.events.publish('container', 'create', id, this.eventAttributes(record));
    return { Id: id, Warnings: warnings };
  }

  /**
   * docker's --volumes-from NAME[:ro|rw]: the volumes and binds of another container, at
   * the same places, read-only or read-write as asked or else as they are there. They are
   * that container's, so they are never this one's anonymous volumes to remove.
   */
  private inheritedMounts(sources: string[]): MountPoint[] {
    return sources.flatMap((spec) => {
      // Container names cannot hold a colon, so one starts the mode.
      const colon = spec.indexOf(':');
      const ref = colon < 0 ? spec : spec.slice(0, colon);
      const mode = colon < 0 ? '' : spec.slice(colon + 1);
      const modes = colon < 0 ? [] : mode.split(',');
      const bad = modes.find((option) => !['ro', 'rw', 'z', 'Z'].includes(option));
      if (bad !== undefined || (modes.includes('ro') && modes.includes('rw'))) throw invalidArgument(`invalid mode: ${mode}`);
      const source = this.find(ref);
      return (source.MountPoints ?? []).filter((mount) => mount.Type !== 'tmpfs').map((mount) => ({
        ...mount,
        RW: modes.includes('ro') ? false : modes.includes('rw') ? true : mount.RW,
        Anonymous: false,
        CopyData: false,
        CreateSource: false,
      }));
    });
  }

  /** The create request's mounts, checked before anything is made; --mount binds need an existing source. */
  private async planMounts(hostConfig: ContainerRecord['HostConfig'], config: ContainerRecord['Config']): Promise<PlannedMount[]> {
    const apiMounts = hostConfig.Mounts ?? [];
    const existing = new Set<string>();
    for (const spec of apiMounts) if (spec.Type === 'bind' && spec.Source && (await pathExists(spec.Source))) existing.add(spec.Source);
    return planMounts({
      inherited: this.inheritedMounts((hostConfig.VolumesFrom ?? []) as string[]),
      binds: hostConfig.Binds ?? [],
      mounts: apiMounts,
      tmpfs: hostConfig.Tmpfs ?? {},
      volumes: Object.keys(config.Volumes ?? {}),
      exists: (path) => existing.has(path),
      newVolumeName: () => randomBytes(32).toString('hex'),
    });
  }

  private nameTaken(name: string): boolean {
    return [...this.records.values()].some((record) => record.Name === `/${name}`);
  }

  // ---- start -------------------------------------------------------------------

  async start(ref: string): Promise<boolean> {
    const record = this.find(ref);
    try {
      return await this.lock.run(record.Id, async () => {
        if (!this.records.has(record.Id)) throw notFound(`No such container: ${ref}`);
        if (record.State.Paused) throw conflict(`cannot start a paused container, try unpause instead`);
        if (record.State.Running) return false;
        await this.startLocked(record);
        return true;
      });
    } catch (error) {
      // As docker: a --rm container that cannot start is removed, not left behind.
      if (record.HostConfig.AutoRemove && !record.State.Running && this.records.has(record.Id)) {
        await this.remove(record.Id, { force: true, volumes: true }).catch(() => {});
      }
      throw error;
    }
  }

  private async startLocked(record: ContainerRecord): Promise<void> {
    const id = record.Id;
    const runtime = this.runtimeOf(record);
    // Steps that do not depend on each other overlap: each is a few file system round trips,
    // and together they were a quarter of a start's time outside the runtime.
    await Promise.all([rm(this.paths.exitFile(id), { force: true }), rm(`${this.paths.persist(id)}/oom`, { force: true })]);
    let created = false;
    try {
      const [rootfs] = await Promise.all([
        this.images.prepareRootfs(id, record.Image),
        writeEtcFiles(
          { hostname: this.paths.hostname(id), hosts: this.paths.hosts(id), resolvConf: this.paths.resolvConf(id) },
          { hostname: record.Config.Hostname, extraHosts: record.HostConfig.ExtraHosts ?? [], dns: dnsSettings(record.HostConfig), hostNetwork: record.HostConfig.NetworkMode === 'host' },
        ),
      ]);
      await prepareMounts(record.MountPoints ?? [], rootfs, this.volumes);
      if (record.HostConfig.IpcMode === 'shareable') await mountShareableShm(this.paths.dir(id), record.HostConfig.ShmSize);
      const spec = await containerSpec(record, rootfs, this.paths, this.settings.cgroups, this.settings.seccomp, this.capabilitiesOf(record.HostConfig), (ref, namespace) => {
        const target = this.find(ref);
        if (target.Id === record.Id || !target.State.Running) throw conflict(`cannot join ${namespace} of a non running container: ${target.Id}`);
        return target;
      });
      const keepCompiledFilter = await runtime.compiledSeccomp?.prepare(spec, id);
      // Regenerated at every start, so it needs no crash safety (no fsync): only the record does.
      await writeFile(`${this.paths.bundle(id)}/config.json`, JSON.stringify(spec), { mode: 0o600 });
      const pid = await conmonCreate({
        runtime,
        containerId: id,
        sessionId: id,
        bundle: this.paths.bundle(id),
        pidFile: this.paths.pidFile(id),
        conmonPidFile: this.paths.conmonPidFile(id),
        exitDir: this.paths.exitDir(),
        logPath: this.paths.log(id),
        socketDir: this.paths.socketDir(),
        persistDir: this.paths.persist(id),
        stdin: record.Config.OpenStdin,
        leaveStdinOpen: !closesStdinAtInputEnd(record),
        terminal: record.Config.Tty,
      });
      created = true;
      keepCompiledFilter?.();
      // conmon wrote its pid file before it reported the container's pid.
      const [monitorPidText] = await Promise.all([readFile(this.paths.conmonPidFile(id), 'utf8').catch(() => '0'), runtime.start(id)]);
      const monitorPid = Number(monitorPidText);
      record.State = {
        ...record.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false,
        Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: record.State.FinishedAt,
      };
      record.MonitorPid = monitorPid;
      await this.save(record);
    } catch (error) {
      if (created) await runtime.kill(id, 'KILL').catch(() => {});
      await runtime.delete(id).catch(() => {});
      await this.images.unmountRootfs(id).catch(() => {});
      unmountShareableShm(this.paths.dir(id));
      await rm(this.paths.exitFile(id), { force: true });
      const berthError = error instanceof BerthError ? error : new BerthError('internal', (error as Error).message, { cause: error });
      record.State = { ...record.State, Status: record.State.StartedAt === ZERO_TIME ? 'created' : 'exited', ExitCode: berthError.exitCode ?? 128, Error: berthError.message };
      await this.save(record);
      throw berthError;
    }
    for (const mount of volumeMounts(record)) {
      this.events.publish('volume', 'mount', mount.Name!, {
        container: id, destination: mount.Destination, driver: mount.Driver ?? 'local', propagation: mount.Propagation, 'read/write': String(mount.RW),
      });
    }
    this.events.publish('container', 'start', id, this.eventAttributes(record));
    this.notices.emit(`start:${id}`);
  }

  // ---- exit --------------------------------------------------------------------

  /** Records a container's exit once conmon has written its exit file. */
  private async handleExit(id: string): Promise<void> {
    const autoRemove = await this.lock.run(id, async () => {
      const record = this.records.get(id);
      if (!record || !record.State.Running) return false;
      const text = await readFile(this.paths.exitFile(id), 'utf8').catch(() => '');
      if (text.trim() === '') return false;
      const code = Number.parseInt(text.trim(), 10);
      const oomKilled = await pathExists(`${this.paths.persist(id)}/oom`);
      await Promise.all([
        this.runtimeOf(record).delete(id).catch(() => {}),
        this.images.unmountRootfs(id).catch((error) => console.error(`berthd: unmount ${id}:`, error)),
      ]);
      unmountShareableShm(this.paths.dir(id));
      await this.markExited(record, { code: Number.isNaN(code) ? 255 : code, error: '' }, oomKilled);
      return record.HostConfig.AutoRemove;
    });
    if (autoRemove) await this.remove(id, { force: true, volumes: true }).catch(() => {});
  }

  private async markExited(record: ContainerRecord, notice: ExitNotice, oomKilled: boolean): Promise<void> {
    record.State = {
      ...record.State, Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: oomKilled,
      Pid: 0, ExitCode: notice.code, Error: notice.error, FinishedAt: new Date().toISOString(),
    };
    record.MonitorPid = 0;
    await this.save(record);
    await rm(this.paths.exitFile(record.Id), { force: true });
    for (const mount of volumeMounts(record)) this.events.publish('volume', 'unmount', mount.Name!, { container: record.Id, driver: mount.Driver ?? 'local' });
    if (oomKilled) this.events.publish('container', 'oom', record.Id, this.eventAttributes(record));
    this.events.publish('container', 'die', record.Id, this.eventAttributes(record, { exitCode: String(notice.code) }));
    this.notices.emit(`exit:${record.Id}`, notice);
  }

  /** Resolves at the container's next exit. */
  private nextExit(id: string, signal?: AbortSignal): Promise<ExitNotice> {
    return new Promise((resolve, reject) => {
      const onExit = (notice: ExitNotice): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(notice);
      };
      const onAbort = (): void => {
        this.notices.off(`exit:${id}`, onExit);
        reject(new BerthError('unavailable', 'wait aborted'));
      };
      this.notices.once(`exit:${id}`, onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- stop, kill, restart -----------------------------------------------------

  async stop(ref: string, options: { timeout?: number; signal?: string }): Promise<boolean> {
    const record = this.find(ref);
    if (!record.State.Running) return false;
    const stopSignal = parseSignal(options.signal || record.Config.StopSignal || 'SIGTERM');
    const timeout = options.timeout ?? record.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
    const exited = this.nextExit(record.Id);
    const sent = await this.lock.run(record.Id, async () => {
      if (!record.State.Running) return false;
      // A frozen process cannot act on a signal: thaw it first, as docker does.
      if (record.State.Paused) await this.runtimeOf(record).resume(record.Id).catch(() => {});
      await this.runtimeOf(record).kill(record.Id, stopSignal).catch(() => {});
      return true;
    });
    if (!sent) return false;
    this.events.publish('container', 'kill', record.Id, this.eventAttributes(record, { signal: String(stopSignal) }));
    const graceful = timeout < 0 ? await exited : await Promise.race([exited, delay(timeout * 1000)]);
    if (!graceful && record.State.Running) {
      await this.runtimeOf(record).kill(record.Id, 'KILL', true).catch(() => {});
      this.events.publish('container', 'kill', record.Id, this.eventAttributes(record, { signal: '9' }));
      await exited;
    }
    this.events.publish('container', 'stop', record.Id, this.eventAttributes(record));
    return true;
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const record = this.find(ref);
    const number = parseSignal(signal);
    await this.lock.run(record.Id, async () => {
      if (!record.State.Running) {
        throw conflict(`Cannot kill container: ${ref}: Container ${record.Id} is not running`);
      }
      if (record.State.Paused && number === 9) await this.runtimeOf(record).resume(record.Id).catch(() => {});
      await this.runtimeOf(record).kill(record.Id, number, number === 9);
    });
    this.events.publish('container', 'kill', record.Id, this.eventAttributes(record, { signal: String(number) }));
  }

  async restart(ref: string, options: { timeout?: number; signal?: string }): Promise<void> {
    const record = this.find(ref);
    await this.stop(ref, options);
    await this.lock.run(record.Id, async () => {
      if (!record.State.Running) await this.startLocked(record);
    });
    this.events.publish('container', 'restart', record.Id, this.eventAttributes(record));
  }

  // ---- remove and wait ---------------------------------------------------------

  async remove(ref: string, options: { force: boolean; volumes: boolean }): Promise<void> {
    const record = this.find(ref);
    if (record.State.Running) {
      if (!options.force) {
        throw conflict(`cannot remove container "${record.Name}": container is running: stop the container before removing or force remove`);
      }
      const exited = this.nextExit(record.Id);
      await this.lock.run(record.Id, async () => {
        if (!record.State.Running) return;
        if (record.State.Paused) await this.runtimeOf(record).resume(record.Id).catch(() => {});
        await this.runtimeOf(record).kill(record.Id, 'KILL', true).catch(() => {});
      });
      if (record.State.Running) await exited;
    }
    await this.lock.run(record.Id, async () => {
      if (!this.records.has(record.Id)) return;
      record.State.Status = 'removing';
      const runtime = this.runtimeOf(record);
      // Exits already deleted it from the runtime; only a leftover costs a runtime call.
      if (await runtime.hasState(record.Id)) await runtime.delete(record.Id).catch(() => {});
      await this.images.releaseRootfs(record.Id);
      unmountShareableShm(this.paths.dir(record.Id));
      await rm(this.paths.dir(record.Id), { recursive: true, force: true });
      this.records.delete(record.Id);
    });
    if (options.volumes) await this.removeAnonymousVolumes(record);
    this.events.publish('container', 'destroy', record.Id, this.eventAttributes(record));
    this.notices.emit(`removed:${record.Id}`);
  }

  /** `rm -v` and `--rm`: the volumes made for this container alone; one another container took up stays, as with docker. */
  private async removeAnonymousVolumes(record: ContainerRecord): Promise<void> {
    for (const mount of volumeMounts(record)) {
      if (!mount.Anonymous) continue;
      await this.volumes.remove(mount.Name!, { force: true }).catch((error: unknown) => {
        console.error(`berthd: removing volume ${mount.Name} of container ${record.Id}: ${(error as Error).message}`);
      });
    }
  }

  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    const record = this.find(ref);
    const result = (): WaitResult => ({ StatusCode: record.State.ExitCode, Error: record.State.Error ? { Message: record.State.Error } : null });
    if (condition === 'removed') {
      if (!this.records.has(record.Id)) return result();
      await new Promise<void>((resolve, reject) => {
        const onRemoved = (): void => resolve();
        this.notices.once(`removed:${record.Id}`, onRemoved);
        signal?.addEventListener('abort', () => {
          this.notices.off(`removed:${record.Id}`, onRemoved);
          reject(new BerthError('unavailable', 'wait aborted'));
        }, { once: true });
      });
      return result();
    }
    if (condition === 'not-running' && !record.State.Running) return result();
    const notice = await this.nextExit(record.Id, signal);
    return { StatusCode: notice.code, Error: notice.error ? { Message: notice.error } : null };
  }

  // ---- views -------------------------------------------------------------------

  async list(options: { all: boolean; limit?: number; size: boolean; filters: Filters }): Promise<object[]> {
    validateContainerFilters(options.filters);
    const all = [...this.records.values()].sort((a, b) => b.Created.localeCompare(a.Created));
    const ancestors = new Map<string, string>();
    for (const ref of options.filters.ancestor ?? []) {
      const image = await this.images.resolve(ref).catch(() => undefined);
      if (image) ancestors.set(ref, image.id);
    }
    let selected = all.filter((record) => matchesContainerFilters(record, options.filters, (ref) => this.find(ref), (ref) => ancestors.get(ref)));
    const explicitStatus = options.filters.status?.length || options.filters.exited?.length;
    if (!options.all && !explicitStatus) selected = selected.filter((record) => record.State.Running);
    if (options.limit !== undefined && options.limit > 0) selected = selected.slice(0, options.limit);
    return Promise.all(selected.map(async (record) => containerSummary(record, options.size ? await this.sizes(record) : undefined)));
  }

  private async sizes(record: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await this.images.rootfsUsage(record.Id).catch(() => 0);
    const image = await this.images.inspect(record.Image).catch(() => undefined);
    return { rw, rootFs: rw + ((image as { Size?: number } | undefined)?.Size ?? 0) };
  }

  async inspect(ref: string, options: { size: boolean }): Promise<object> {
    const record = this.find(ref);
    return containerInspect(record, this.paths, options.size ? await this.sizes(record) : undefined);
  }

  // ---- logs and attach ---------------------------------------------------------

  async logs(ref: string, options: LogsOptions, signal: AbortSignal): Promise<{ tty: boolean; output: AsyncIterable<OutputChunk[]> }> {
    const record = this.find(ref);
    const finished = record.State.Running ? this.nextExit(record.Id, signal).then(() => {}) : Promise.resolve();
    finished.catch(() => {});
    const lines = readLogLines(this.paths.log(record.Id), {
      follow: options.follow, finished, signal, ...(options.tail === undefined ? {} : { tail: options.tail }),
    });
    return { tty: record.Config.Tty, output: selectOutput(lines, options) };
  }

  async attach(ref: string, options: AttachOptions): Promise<StdioSession> {
    const record = this.find(ref);
    if (record.State.Status === 'exited' || record.State.Status === 'dead') {
      if (!options.logs) throw conflict('You cannot attach to a stopped container, start it first');
    }
    if (record.State.Paused) throw conflict('You cannot attach to a paused container, unpause it first');
    const abort = new AbortController();
    const fromOffset = options.logs ? 0 : await logSize(this.paths.log(record.Id));
    const finished = record.State.Running || record.State.Status === 'created'
      ? this.nextExit(record.Id, abort.signal).then(() => {})
      : Promise.resolve();
    finished.catch(() => {});
    const output = options.stream || options.logs
      ? selectOutput(readLogLines(this.paths.log(record.Id), { fromOffset, follow: options.stream, finished, signal: abort.signal }), {
        stdout: options.stdout, stderr: options.stderr, timestamps: false,
      })
      : emptyOutput();
    let stdin: PassThrough | undefined;
    let closeBridge = (): void => {};
    let bridgeExited: Promise<void> = Promise.resolve();
    const closesStdin = closesStdinAtInputEnd(record);
    if (options.stdin && record.Config.OpenStdin) {
      const input = new PassThrough();
      stdin = input;
      const connect = (): void => {
        const bridge = openStdinBridge(this.paths.bundle(record.Id), { holdAfterInputEnd: closesStdin });
        input.pipe(bridge.stdin);
        closeBridge = bridge.close;
        bridgeExited = bridge.exited;
      };
      if (record.State.Running) connect();
      else {
        this.notices.once(`start:${record.Id}`, connect);
        closeBridge = () => this.notices.off(`start:${record.Id}`, connect);
      }
    }
    this.events.publish('container', 'attach', record.Id, this.eventAttributes(record));
    const input = stdin;
    return {
      tty: record.Config.Tty,
      ...(input ? { stdin: input } : {}),
      ...(input && !closesStdin
        ? {
          finishInput: async () => {
            input.end();
            await bridgeExited;
          },
        }
        : {}),
      output,
      close: () => {
        abort.abort();
        closeBridge();
      },
    };
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const record = this.find(ref);
    if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
    if (!record.Config.Tty) return;
    await resizeTerminal(this.paths.bundle(record.Id), height, width);
  }

  // ---- pause, rename, top, export ----------------------------------------------

  async pause(ref: string): Promise<void> {
    const record = this.find(ref);
    await this.lock.run(record.Id, async () => {
      if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
      if (record.State.Paused) throw conflict(`Container ${record.Id} is already paused`);
      await this.runtimeOf(record).pause(record.Id);
      record.State = { ...record.State, Status: 'paused', Paused: true };
      await this.save(record);
    });
    this.events.publish('container', 'pause', record.Id, this.eventAttributes(record));
  }

  async unpause(ref: string): Promise<void> {
    const record = this.find(ref);
    await this.lock.run(record.Id, async () => {
      if (!record.State.Paused) throw conflict(`Container ${record.Id} is not paused`);
      await this.runtimeOf(record).resume(record.Id);
      record.State = { ...record.State, Status: 'running', Paused: false };
      await this.save(record);
    });
    this.events.publish('container', 'unpause', record.Id, this.eventAttributes(record));
  }

  async rename(ref: string, newName: string): Promise<void> {
    const record = this.find(ref);
    const name = validateName(newName);
    if (`/${name}` === record.Name) throw conflict(`Renaming a container with the same name as its current name`);
    const taken = [...this.records.values()].find((other) => other.Name === `/${name}`);
    if (taken) throw conflict(`Conflict. The container name "/${name}" is already in use by container "${taken.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const oldName = record.Name;
    record.Name = `/${name}`;
    await this.lock.run(record.Id, () => this.save(record));
    this.events.publish('container', 'rename', record.Id, this.eventAttributes(record, { oldName }));
  }

  async top(ref: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
    const record = this.find(ref);
    if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
    const pids = new Set((await this.runtimeOf(record).ps(record.Id)).map(String));
    const result = await runCommand('ps', psArgs.split(/\s+/).filter(Boolean));
    if (result.code !== 0) throw invalidArgument(`Error running ps: ${result.stderr.trim()}`);
    const lines = result.stdout.trimEnd().split('\n');
    const titles = lines[0]!.trim().split(/\s+/);
    const pidColumn = titles.indexOf('PID');
    if (pidColumn < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
    const processes = lines.slice(1).flatMap((line) => {
      const fields = line.trim().split(/\s+/);
      if (!pids.has(fields[pidColumn]!)) return [];
      // The last column (the command) may contain spaces: keep it whole.
      return [[...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]];
    });
    return { Titles: titles, Processes: processes };
  }

  async export(ref: string): Promise<Readable> {
    const record = this.find(ref);
    const rootfs = await this.lock.run(record.Id, () => this.images.prepareRootfs(record.Id, record.Image));
    const tar = packDirectory(rootfs);
    const release = (): void => {
      void this.lock.run(record.Id, async () => {
        if (!record.State.Running) await this.images.unmountRootfs(record.Id).catch(() => {});
      });
    };
    tar.once('close', release);
    this.events.publish('container', 'export', record.Id, this.eventAttributes(record));
    return tar;
  }

  /** For exec: the running container and its runtime, or docker's conflict error. */
  runningContainer(ref: string): { record: ContainerRecord; runtime: OciRuntime } {
    const record = this.find(ref);
    if (!record.State.Running) throw conflict(`Container ${record.Id} is not running`);
    if (record.State.Paused) throw conflict(`Container ${record.Id} is paused, unpause the container before exec`);
    return { record, runtime: this.runtimeOf(record) };
  }

  /**
   * For update: runs `change` under the container's lock (so a start cannot slip
   * between applying limits and storing them), then saves the HostConfig it returns.
   */
  async updateHostConfig(
    ref: string,
    change: (record: ContainerRecord, runtime: OciRuntime) => Promise<ContainerRecord['HostConfig']>,
  ): Promise<void> {
    const record = this.find(ref);
    await this.lock.run(record.Id, async () => {
      if (!this.records.has(record.Id) || record.State.Status === 'removing' || record.State.Dead) {
        throw conflict(`Cannot update container ${record.Id}: container is marked for removal and cannot be "update"`);
      }
      record.HostConfig = await change(record, this.runtimeOf(record));
      await this.save(record);
    });
    this.events.publish('container', 'update', record.Id, this.eventAttributes(record));
  }

  publish(action: string, record: ContainerRecord, extra: Record<string, string> = {}): void {
    this.events.publish('container', action, record.Id, this.eventAttributes(record, extra));
  }

  /** Records a running container's health (for the start it began with), as dockerd keeps it in the container's state. */
  async setHealth(id: string, startedAt: string, health: HealthState): Promise<void> {
    const record = this.records.get(id);
    if (!record?.State.Running || record.State.StartedAt !== startedAt) return;
    record.State.Health = health;
    await this.save(record).catch(() => {});
  }

  /** What the host offers containers (online CPUs and nodes, cgroup knobs), for the checks of an update. */
  get hostFacts(): HostFacts {
    return this.settings.hostFacts;
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }
}

function dnsSettings(host: ContainerRecord['HostConfig']): DnsSettings {
  return { servers: host.Dns ?? [], search: (host.DnsSearch ?? []) as string[], options: (host.DnsOptions ?? []) as string[] };
}

function volumeMounts(record: ContainerRecord): MountPoint[] {
  return (record.MountPoints ?? []).filter((mount) => mount.Type === 'volume');
}

function delay(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
}

/**
 * Whether the end of an attached client's input closes the container's stdin:
 * dockerd's rule, StdinOnce and no tty. Otherwise stdin stays open for the next
 * client and only that client's attach ends.
 */
function closesStdinAtInputEnd(record: ContainerRecord): boolean {
  return record.Config.StdinOnce && !record.Config.Tty;
}
