import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyProbeResult, checkHealthcheck, healthProbe, mergeHealthcheck, type HealthState } from '../../src/engine/health-config.js';
import { goDuration } from '../../src/engine/health-monitor.js';

const S = 1e9;

describe('mergeHealthcheck', () => {
  it('takes the image\'s healthcheck, or the request\'s over it field by field', () => {
    const image = { Test: ['CMD', 'check'], Interval: 10 * S, Retries: 5 };
    assert.deepEqual(mergeHealthcheck(undefined, image), image);
    assert.deepEqual(mergeHealthcheck(null, undefined), undefined);
    assert.deepEqual(mergeHealthcheck({ Timeout: 2 * S }, image), { Test: ['CMD', 'check'], Interval: 10 * S, Timeout: 2 * S, StartPeriod: undefined, StartInterval: undefined, Retries: 5 });
    assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image)!.Test, ['NONE']);
  });
});

describe('checkHealthcheck', () => {
  it('refuses durations under 1ms and negative retries, in dockerd\'s words', () => {
    assert.throws(() => checkHealthcheck({ Interval: 1000 }), /^Error: Interval in Healthcheck cannot be less than 1ms$|Interval in Healthcheck cannot be less than 1ms/);
    assert.throws(() => checkHealthcheck({ StartInterval: 5 }), /StartInterval in Healthcheck cannot be less than 1ms/);
    assert.throws(() => checkHealthcheck({ Retries: -1 }), /Retries in Healthcheck cannot be negative/);
    assert.throws(() => checkHealthcheck({ Test: ['SHELL', 'x'] }), /unknown Healthcheck type 'SHELL'/);
    checkHealthcheck({ Test: ['CMD-SHELL', 'x'], Interval: 1e6, Timeout: 0 });
  });
});

describe('healthProbe', () => {
  it('runs CMD as given and CMD-SHELL in the image\'s shell, with docker\'s defaults', () => {
    assert.deepEqual(healthProbe({ Test: ['CMD', 'curl', '-f', 'x'] }, undefined), {
      command: ['curl', '-f', 'x'], interval: 30 * S, timeout: 30 * S, startPeriod: 0, startInterval: 5 * S, retries: 3,
    });
    assert.deepEqual(healthProbe({ Test: ['CMD-SHELL', 'exit 1'] }, undefined)!.command, ['/bin/sh', '-c', 'exit 1']);
    assert.deepEqual(healthProbe({ Test: ['CMD-SHELL', 'exit 1'] }, ['/bin/bash', '-ec'])!.command, ['/bin/bash', '-ec', 'exit 1']);
  });
  it('has no probe for NONE, an empty test or none at all', () => {
    assert.equal(healthProbe({ Test: ['NONE'] }, undefined), undefined);
    assert.equal(healthProbe({ Test: [] }, undefined), undefined);
    assert.equal(healthProbe(undefined, undefined), undefined);
  });
});

describe('applyProbeResult', () => {
  const probe = healthProbe({ Test: ['CMD', 'x'], Retries: 2, StartPeriod: 10 * S }, undefined)!;
  const startedAt = '2026-01-01T00:00:00.000Z';
  const entry = (secondsAfterStart: number, exitCode: number) => {
    const at = new Date(Date.parse(startedAt) + secondsAfterStart * 1000).toISOString();
    return { Start: at, End: at, ExitCode: exitCode, Output: '' };
  };
  const starting: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };

  it('a success makes the container healthy and clears the streak', () => {
    const after = applyProbeResult({ Status: 'unhealthy', FailingStreak: 4, Log: [] }, entry(20, 0), probe, startedAt);
    assert.deepEqual([after.Status, after.FailingStreak], ['healthy', 0]);
  });
  it('failures in the start period do not count while starting; afterwards enough of them make it unhealthy', () => {
    let health = applyProbeResult(starting, entry(1, 1), probe, startedAt);
    assert.deepEqual([health.Status, health.FailingStreak], ['starting', 0]);
    health = applyProbeResult(health, entry(11, 1), probe, startedAt);
    assert.deepEqual([health.Status, health.FailingStreak], ['starting', 1]);
    health = applyProbeResult(health, entry(12, 1), probe, startedAt);
    assert.deepEqual([health.Status, health.FailingStreak], ['unhealthy', 2]);
  });
  it('a healthy container counts failures even in the start period', () => {
    const health = applyProbeResult({ Status: 'healthy', FailingStreak: 0, Log: [] }, entry(1, 1), probe, startedAt);
    assert.deepEqual([health.Status, health.FailingStreak], ['healthy', 1]);
  });
  it('keeps the last five results', () => {
    let health = starting;
    for (let i = 0; i < 7; i++) health = applyProbeResult(health, entry(20 + i, 0), probe, startedAt);
    assert.equal(health.Log.length, 5);
    assert.equal(health.Log[0]!.Start, entry(22, 0).Start);
  });
});

describe('goDuration', () => {
  it('renders durations as Go does', () => {
    assert.equal(goDuration(30 * S), '30s');
    assert.equal(goDuration(90 * S), '1m30s');
    assert.equal(goDuration(500e6), '500ms');
    assert.equal(goDuration(1.5 * S), '1.5s');
    assert.equal(goDuration(3600 * S), '1h0m0s');
  });
});
