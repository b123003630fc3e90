import { collectGarbage } from './heap-tuning.js';
import { mallocTrim } from '../sys/libc.js';

/**
 * Gives the memory a burst of work freed back to the kernel once berthd has been
 * quiet for `quietMs`. Buffers of a large answer (a million log lines, an image
 * layer) are freed into glibc's arenas, which keep them: RSS would stay at the
 * peak. Trimming only when quiet keeps the work itself at full speed (a lower
 * mmap threshold would trim too, but made `logs` 45% slower). Buffers of the burst that V8
 * has not collected yet are collected first (see heap-tuning.ts), or their memory stays.
 */
export function trimWhenQuiet(quietMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => void collectGarbage().then(mallocTrim), quietMs);
    timer.unref();
  };
}
