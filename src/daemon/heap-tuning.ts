import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by berthd's entry, before anything allocates. berthd moves images through
 * Buffers: a push, pull or load allocates several times the image's size in them, each freed
 * soon after. V8 counts such memory outside its heap against a fixed 64 MiB soft limit by
 * default, and ran a full mark-compact every few dozen megabytes of it: ~20 for a 210 MB first
 * push, a fifth of berthd's CPU. Counted as part of V8's global limit instead, which grows with
 * what the process really keeps, the same push takes ~7 and 0.2–0.3 CPU-s less; its peak RSS is
 * ~50 MB higher, and the memory is given back once quiet all the same (trim-when-quiet.ts).
 * A Node whose V8 lacks the flag prints one line and carries on with its default.
 */
setFlagsFromString('--external-memory-accounted-in-global-limit');
