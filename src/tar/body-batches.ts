import type { BodyRequest } from './body-reader-thread.js';
import { readBodies } from './body-reader.js';

/**
 * Half of the bodies an assembly reads ahead (64 pieces, a header before each body), so the
 * thread reads one batch while the one before is sent on. At most 256 KiB each, a batch is at
 * most 4 MiB.
 */
const BATCH_BODIES = 16;

interface Batch {
  bodies: BodyRequest[];
  /** Once sent. */
  results: Promise<(Buffer | Error)[]> | undefined;
}

/** A body waiting to be read: its batch and its place in it. */
export interface QueuedBody {
  readonly batch: Batch;
  readonly index: number;
}

/** Gathers the small bodies of one assembly into batches for the reading thread. */
export class BodyBatches {
  private gathering: Batch = { bodies: [], results: undefined };

  queue(body: BodyRequest): QueuedBody {
    const queued = { batch: this.gathering, index: this.gathering.bodies.push(body) - 1 };
    if (this.gathering.bodies.length === BATCH_BODIES) this.send();
    return queued;
  }

  /** Sends what has been gathered, for the thread to read while the assembly waits on something else. */
  send(): void {
    const batch = this.gathering;
    if (batch.bodies.length === 0) return;
    batch.results = readBodies(batch.bodies);
    // Awaited by take; a batch the assembly gave up on before taking it must not be an unhandled rejection.
    batch.results.catch(() => undefined);
    this.gathering = { bodies: [], results: undefined };
  }

  async take({ batch, index }: QueuedBody): Promise<Buffer> {
    if (batch === this.gathering) this.send();
    const result = (await batch.results!)[index]!;
    if (result instanceof Error) throw result;
    return result;
  }
}
