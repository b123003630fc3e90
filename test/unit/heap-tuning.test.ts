import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tuning = fileURLToPath(new URL('../../src/daemon/heap-tuning.js', import.meta.url));

/** Major GCs while 600 MB of short-lived 1 MiB Buffers pass through a process, the way a push's blocks do. */
function majorCollections(tuned: boolean): number {
  const script = `
    ${tuned ? `await import(${JSON.stringify(tuning)});` : ''}
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    let major = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major += 1;
    }).observe({ entryTypes: ['gc'] });
    const live = [];
    for (let index = 0; index < 600; index += 1) {
      const buffer = Buffer.allocUnsafe(1 << 20);
      buffer[0] = index;
      live.push(buffer);
      if (live.length > 8) live.shift();
      await new Promise(setImmediate);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    console.log(major);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stderr, '', 'V8 knows the flag');
  return Number(child.stdout.trim());
}

describe("berthd's heap tuning", () => {
  it('stops short-lived Buffers from starting a full GC every few dozen megabytes', () => {
    const untuned = majorCollections(false);
    const tuned = majorCollections(true);
    assert.ok(untuned >= 3, `without it, V8 collected ${untuned} times`);
    assert.ok(tuned < untuned / 2, `with it, ${tuned} collections against ${untuned}`);
  });

  it('collects the Buffers nothing holds any more when asked, as berthd does once quiet', () => {
    const script = `
      const { collectGarbage } = await import(${JSON.stringify(tuning)});
      for (let index = 0; index < 100; index += 1) Buffer.allocUnsafe(1 << 20)[0] = index;
      const before = process.memoryUsage().arrayBuffers;
      await collectGarbage();
      console.log(JSON.stringify({ before, after: process.memoryUsage().arrayBuffers }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const { before, after } = JSON.parse(child.stdout) as { before: number; after: number };
    assert.ok(before > 50 * 1024 * 1024, `${before} bytes of Buffers were waiting`);
    assert.ok(after < 10 * 1024 * 1024, `${after} bytes left after the collection`);
  });
});
