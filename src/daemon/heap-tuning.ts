import { setTimeout as delay } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Imported first by berthd's entry, before anything allocates. berthd moves images and logs
 * through Buffers: a push, pull or load allocates several times the image's size in them, each
 * freed soon after. V8 counts such memory outside its heap against a fixed 64 MiB soft limit by
 * default, and ran a full mark-compact every few dozen megabytes of it: ~20 for a 210 MB first
 * push, a fifth of berthd's CPU. Counted as part of V8's global limit instead, which grows with
 * what the process really keeps, the same push takes ~7 and 0.2–0.3 CPU-s less.
 *
 * The price is that dead Buffers now wait longer for a collection, so the memory of a burst
 * (a push, a million log lines) stayed allocated after it: berthd's RSS after the container
 * benchmark went from ~140 to ~175 MB. collectGarbage, run once berthd is quiet, before its
 * malloc_trim, gives it back. A Node whose V8 lacks a flag prints one line and goes on with its default.
 */
setFlagsFromString('--external-memory-accounted-in-global-limit');
setFlagsFromString('--expose-gc');
// A context made after the flag has the gc function; berthd's own global stays without it.
const gc = runInNewContext('gc') as () => void;

/**
 * V8 frees the memory of the Buffers a collection found dead on a background thread, after the
 * collection returns: within 20 ms here, under load too. malloc_trim must come after that.
 */
const SWEEP_GRACE_MS = 100;

/** A full collection: frees every Buffer nothing holds any more, as once-quiet berthd wants. */
export async function collectGarbage(): Promise<void> {
  gc();
  await delay(SWEEP_GRACE_MS);
}
