import { invalidArgument } from '../common/errors.js';
import type { HealthConfig } from '../image/image-config.js';

/**
 * docker's healthcheck settings: merged from the image and the create request,
 * checked as dockerd checks them, and the probe they describe. Durations are in
 * nanoseconds, as the API carries them.
 */

export const NS_PER_MS = 1_000_000;
const SECOND = 1000 * NS_PER_MS;

export const HEALTH_DEFAULTS = { interval: 30 * SECOND, timeout: 30 * SECOND, startPeriod: 0, startInterval: 5 * SECOND, retries: 3 };

/** The log entries kept in State.Health, and the output kept of each probe (dockerd's limits). */
export const MAX_HEALTH_LOG_ENTRIES = 5;
export const MAX_PROBE_OUTPUT = 4096;

/** dockerd's merge: the request's healthcheck over the image's, field by field where the request left one unset. */
export function mergeHealthcheck(requested: HealthConfig | null | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!requested) return image ? { ...image } : undefined;
  if (!image) return { ...requested };
  return {
    Test: requested.Test?.length ? requested.Test : image.Test,
    Interval: requested.Interval || image.Interval,
    Timeout: requested.Timeout || image.Timeout,
    StartPeriod: requested.StartPeriod || image.StartPeriod,
    StartInterval: requested.StartInterval || image.StartInterval,
    Retries: requested.Retries || image.Retries,
  };
}

/** dockerd's checks of a healthcheck, in its words. */
export function checkHealthcheck(config: HealthConfig | undefined): void {
  if (!config) return;
  for (const field of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const value = config[field] ?? 0;
    if (value !== 0 && value < NS_PER_MS) throw invalidArgument(`${field} in Healthcheck cannot be less than 1ms`);
  }
  if ((config.Retries ?? 0) < 0) throw invalidArgument('Retries in Healthcheck cannot be negative');
  const kind = config.Test?.[0];
  if (kind !== undefined && !['NONE', 'CMD', 'CMD-SHELL', ''].includes(kind)) {
    throw invalidArgument(`unknown Healthcheck type '${kind}' (expected CMD, CMD-SHELL or NONE)`);
  }
}

/** A healthcheck ready to run: its command and its timings, defaults applied (nanoseconds). */
export interface HealthProbe {
  command: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

/** The probe of a container's healthcheck, or undefined when it has none (no test, or NONE). */
export function healthProbe(config: HealthConfig | undefined, shell: string[] | undefined): HealthProbe | undefined {
  const test = config?.Test ?? [];
  let command: string[];
  if (test[0] === 'CMD' && test.length > 1) command = test.slice(1);
  else if (test[0] === 'CMD-SHELL' && test.length > 1) command = [...(shell?.length ? shell : ['/bin/sh', '-c']), test[1]!];
  else return undefined;
  return {
    command,
    interval: config!.Interval || HEALTH_DEFAULTS.interval,
    timeout: config!.Timeout || HEALTH_DEFAULTS.timeout,
    startPeriod: config!.StartPeriod || HEALTH_DEFAULTS.startPeriod,
    startInterval: config!.StartInterval || HEALTH_DEFAULTS.startInterval,
    retries: config!.Retries || HEALTH_DEFAULTS.retries,
  };
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** State.Health as docker's inspect shows it. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/**
 * dockerd's rule for one probe's result: a success makes the container healthy; a
 * failure counts towards the retries, except while the container is still starting
 * within its start period; enough of them in a row make it unhealthy.
 */
export function applyProbeResult(health: HealthState, result: HealthLogEntry, probe: HealthProbe, startedAt: string): HealthState {
  const log = [...health.Log, result].slice(-MAX_HEALTH_LOG_ENTRIES);
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  const sinceStart = (Date.parse(result.Start) - Date.parse(startedAt)) * NS_PER_MS;
  if (health.Status === 'starting' && sinceStart < probe.startPeriod) return { ...health, Log: log };
  const failingStreak = health.FailingStreak + 1;
  return { Status: failingStreak >= probe.retries ? 'unhealthy' : health.Status, FailingStreak: failingStreak, Log: log };
}
