import type { ContainerRecord } from './container-record.js';
import type { ContainerService } from './container-service.js';
import type { EventBus } from './events.js';
import type { ExecService } from './exec-service.js';
import { applyProbeResult, healthProbe, MAX_PROBE_OUTPUT, NS_PER_MS, type HealthProbe, type HealthState } from './health-config.js';

/** Go's rendering of a duration, as dockerd's timeout message shows it ("30s", "1m30s", "500ms"). */
export function goDuration(ns: number): string {
  if (ns < 1000) return `${ns}ns`;
  if (ns < NS_PER_MS) return `${ns / 1000}µs`;
  if (ns < 1e9) return `${ns / NS_PER_MS}ms`;
  const hours = Math.floor(ns / 3.6e12);
  const minutes = Math.floor((ns % 3.6e12) / 6e10);
  const seconds = (ns % 6e10) / 1e9;
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

/**
 * Runs the healthchecks of running containers, as dockerd does: a probe every
 * interval (every start interval while the container is in its start period),
 * each an exec whose result moves State.Health between starting, healthy and
 * unhealthy, with a `health_status` event at every change. It follows the
 * container events, so a start begins the probes and a die ends them; a
 * restarted berthd resumes them for the containers it adopted.
 */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly containers: ContainerService,
    private readonly execs: ExecService,
    events: EventBus,
  ) {
    events.subscribe((event) => {
      if (event.Type !== 'container') return;
      if (event.Action === 'start') this.watch(event.Actor.ID, true);
      else if (event.Action === 'die' || event.Action === 'destroy') this.unwatch(event.Actor.ID);
    });
  }

  /** Resumes the probes of the running containers, keeping the health they had. */
  resume(): void {
    for (const record of this.containers.all()) if (record.State.Running) this.watch(record.Id, false);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private watch(id: string, fresh: boolean): void {
    const record = this.record(id);
    const probe = record && healthProbe(record.Config.Healthcheck, record.Config.Shell);
    if (!record || !probe) return;
    if (fresh || !record.State.Health) void this.containers.setHealth(id, record.State.StartedAt, { Status: 'starting', FailingStreak: 0, Log: [] });
    this.schedule(id, probe, record.State.StartedAt);
  }

  private unwatch(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  private record(id: string): ContainerRecord | undefined {
    try {
      return this.containers.find(id);
    } catch {
      return undefined;
    }
  }

  private schedule(id: string, probe: HealthProbe, startedAt: string): void {
    clearTimeout(this.timers.get(id));
    const inStartPeriod = (Date.now() - Date.parse(startedAt)) * NS_PER_MS < probe.startPeriod;
    const delay = (inStartPeriod ? probe.startInterval : probe.interval) / NS_PER_MS;
    const timer = setTimeout(() => void this.runProbe(id, probe, startedAt), delay);
    timer.unref();
    this.timers.set(id, timer);
  }

  private async runProbe(id: string, probe: HealthProbe, startedAt: string): Promise<void> {
    const record = this.record(id);
    // The container stopped, or stopped and started again (its own probes run now).
    if (!record?.State.Running || record.State.StartedAt !== startedAt || this.timers.get(id) === undefined) return;
    if (!record.State.Paused) {
      const start = new Date().toISOString();
      const result = await this.execs.probe(id, probe.command, probe.timeout / NS_PER_MS, MAX_PROBE_OUTPUT).catch((error: Error) => ({ exitCode: -1, output: error.message, timedOut: false }));
      const current = this.record(id);
      if (!current?.State.Running || current.State.StartedAt !== startedAt) return;
      const entry = {
        Start: start,
        End: new Date().toISOString(),
        ExitCode: result.exitCode,
        Output: result.timedOut ? `Health check exceeded timeout (${goDuration(probe.timeout)})` : result.output,
      };
      const before: HealthState = current.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
      const after = applyProbeResult(before, entry, probe, startedAt);
      await this.containers.setHealth(id, startedAt, after);
      if (after.Status !== before.Status) this.containers.publish(`health_status: ${after.Status}`, current);
    }
    if (this.timers.has(id)) this.schedule(id, probe, startedAt);
  }
}
