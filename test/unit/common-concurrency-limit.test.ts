import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concurrencyLimit } from '../../src/common/concurrency-limit.js';

describe('concurrencyLimit', () => {
  it('never runs more than its limit, starts waiters in order, and frees a slot when a task fails', async () => {
    const limit = concurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (index: number, fail = false) => async () => {
      started.push(index);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      if (fail) throw new Error(`task ${index} failed`);
      return index;
    };
    const outcomes = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((index) => limit(task(index, index === 1))));
    assert.equal(most, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    // A newcomer arriving as a slot is handed over still waits its turn.
    const order: string[] = [];
    const first = limit(async () => order.push('first'));
    const second = limit(async () => order.push('second'));
    const third = limit(async () => order.push('third'));
    await Promise.all([first, second, third]);
    assert.deepEqual(order, ['first', 'second', 'third']);
  });
});
