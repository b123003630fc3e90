import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';
import { ImageService } from '../image/images.js';
import { RegistryAccess } from '../image/registry/registry-access.js';
import { boundingSetOf } from '../runtime/capabilities.js';
import { prepareCgroupLayout, type CgroupLayout } from '../runtime/cgroup-layout.js';
import { readHostFacts } from '../runtime/host-facts.js';
import { HealthMonitor } from './health-monitor.js';
import { OciRuntime } from '../runtime/oci-runtime.js';
import { SeccompBpfCache } from '../runtime/seccomp-bpf-cache.js';
import { detectSeccompHost, type SeccompHost } from '../runtime/seccomp-host.js';
import { ContainerPaths } from './container-paths.js';
import { ContainerService } from './container-service.js';
import type { DaemonConfig } from './daemon-config.js';
import { EventBus } from './events.js';
import { ExecService } from './exec-service.js';
import { ContainerStats } from './container-stats.js';
import { ContainerArchive } from './container-archive.js';
import { MaintenanceService } from './maintenance.js';
import { systemInfo, versionInfo } from './system-info.js';
import { VolumeStore } from '../volume/volume-store.js';

/** Everything berthd serves, wired together; knows nothing of HTTP. */
export class Engine {
  private constructor(
    readonly config: DaemonConfig,
    readonly engineId: string,
    readonly cgroups: CgroupLayout,
    readonly seccomp: SeccompHost,
    readonly runtimes: Map<string, OciRuntime>,
    readonly defaultRuntime: string,
    readonly warnings: string[],
    readonly events: EventBus,
    readonly images: ImageService,
    readonly volumes: VolumeStore,
    readonly containers: ContainerService,
    readonly execs: ExecService,
    private readonly health: HealthMonitor,
  ) {}

  /** `docker cp`; made on first use, from the services the constructor received. */
  get archive(): ContainerArchive {
    return (this.archiveService ??= new ContainerArchive(this.containers, this.images));
  }
  private archiveService: ContainerArchive | undefined;

  /** `docker stats` and `docker update`; made on first use, from the services the constructor received. */
  get containerStats(): ContainerStats {
    return (this.statsService ??= new ContainerStats(this.containers, this.cgroups));
  }
  private statsService: ContainerStats | undefined;

  /** `docker diff`, the prunes and `docker system df`; made on first use, from the services the constructor received. */
  get maintenance(): MaintenanceService {
    return (this.maintenanceService ??= new MaintenanceService(this.containers, this.images, this.volumes, this.events));
  }
  private maintenanceService: MaintenanceService | undefined;

  static async open(config: DaemonConfig, log: (line: string) => void = () => {}): Promise<Engine> {
    const cgroups = await prepareCgroupLayout({ repair: config['fix-cgroup-layout'] });
    for (const repair of cgroups.repairs) log(`cgroups: ${repair}`);
    for (const problem of cgroups.problems) log(`cgroups: ${problem}`);
    // What berthd itself may do: whether the kernel filters system calls, which capabilities it can grant.
    const procStatus = await readFile('/proc/self/status', 'utf8').catch(() => '');
    const seccomp = detectSeccompHost(procStatus);
    if (!seccomp.available) log('seccomp: not enabled in this kernel; containers run without the default profile');
    const warnings: string[] = [];
    const runtimes = new Map<string, OciRuntime>();
    for (const [name, { path }] of Object.entries(config.runtimes)) {
      try {
        await access(path);
        const stateRoot = join(config['exec-root'], 'runtime', name);
        const compiledSeccomp = basename(path) === 'crun'
          ? await SeccompBpfCache.open(join(config['exec-root'], 'seccomp-cache', name), path, stateRoot)
          : undefined;
        runtimes.set(name, new OciRuntime(name, path, stateRoot, compiledSeccomp));
      } catch {
        if (name === config['default-runtime']) warnings.push(`WARNING: runtime ${name} not found at ${path}`);
      }
    }
    let defaultRuntime = config['default-runtime'];
    // crun refuses a hybrid layout it cannot use; runc copes with it, so fall back visibly rather than fail every run.
    if (defaultRuntime === 'crun' && (cgroups.problems.length || !runtimes.has('crun')) && runtimes.has('runc')) {
      warnings.push('WARNING: default runtime crun cannot run containers on this host; using runc instead');
      log('runtime: falling back to runc as the default runtime');
      defaultRuntime = 'runc';
    }
    const paths = new ContainerPaths(config['data-root'], config['exec-root']);
    await mkdir(config['exec-root'], { recursive: true });
    const events = new EventBus();
    let containers: ContainerService | undefined;
    const images = await ImageService.open(config['data-root'], {
      containersUsing: (imageId) => containers?.containersUsingImage(imageId) ?? [],
      onEvent: (action, id, attributes) => events.publish('image', action, id, attributes),
      registries: new RegistryAccess({
        insecureRegistries: config['insecure-registries'],
        registryMirrors: config['registry-mirrors'],
        maxConcurrentDownloads: config['max-concurrent-downloads'],
        maxConcurrentUploads: config['max-concurrent-uploads'],
        maxDownloadAttempts: config['max-download-attempts'],
      }),
    });
    const volumes = await VolumeStore.open(config['data-root'], {
      usersOf: (name) => containers?.containersUsingVolume(name) ?? [],
      onEvent: (action, name, attributes) => events.publish('volume', action, name, attributes),
    });
    const grantableCapabilities = boundingSetOf(procStatus);
    const hostFacts = await readHostFacts(cgroups);
    containers = new ContainerService({ paths, runtimes, defaultRuntime, cgroups, hostFacts, seccomp, grantableCapabilities }, images, volumes, events);
    await containers.load();
    const execs = new ExecService(containers, paths);
    const health = new HealthMonitor(containers, execs, events);
    health.resume();
    const engineId = await loadEngineId(config['data-root']);
    return new Engine(config, engineId, cgroups, seccomp, runtimes, defaultRuntime, warnings, events, images, volumes, containers, execs, health);
  }

  version(): object {
    return versionInfo();
  }

  async info(): Promise<object> {
    const all = this.containers.all();
    const running = all.filter((record) => record.State.Running && !record.State.Paused).length;
    const paused = all.filter((record) => record.State.Paused).length;
    return systemInfo({
      containers: { running, paused, stopped: all.length - running - paused, total: all.length },
      images: (await this.images.list()).length,
      dataRoot: this.config['data-root'],
      runtimes: this.runtimes,
      defaultRuntime: this.defaultRuntime,
      cgroups: this.cgroups,
      seccomp: this.seccomp.available,
      warnings: this.warnings,
      engineId: this.engineId,
      insecureRegistries: this.config['insecure-registries'],
      registryMirrors: this.config['registry-mirrors'],
    });
  }

  close(): void {
    this.health.close();
    this.containers.close();
  }
}

/** docker's daemon ID: made once per data root and kept, so clients can tell engines apart. */
async function loadEngineId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = randomUUID();
  await writeFileAtomic(path, `${id}\n`, 0o644);
  return id;
}
