import { Worker } from 'node:worker_threads';
import { BerthError, internal } from '../common/errors.js';
import type { BatchReply, BatchRequest, BodyRequest, ReadFailure } from './body-reader-thread.js';

/**
 * Small layer files are read on a thread of their own: on the event loop each costs four
 * asynchronous calls (a promise and a hop to the thread pool each), which for the thousands of
 * files of an image took more CPU than gzipping them; read synchronously there, they would
 * stall the daemon on a cold cache. One thread serves every assembly of the process, since
 * starting one costs ~50 ms of CPU. It starts with the first batch, holds the process only
 * while it has batches to read, and ends after a while without.
 */
const IDLE_MS = 10_000;

let thread: ReaderThread | undefined;

/** Each body, or why it could not be read; rejects only when the thread itself failed. */
export function readBodies(bodies: BodyRequest[]): Promise<(Buffer | Error)[]> {
  thread ??= new ReaderThread();
  return thread.read(bodies);
}

interface Waiting {
  bodies: BodyRequest[];
  resolve: (results: (Buffer | Error)[]) => void;
  reject: (error: unknown) => void;
}

class ReaderThread {
  private readonly worker = new Worker(new URL('./body-reader-thread.js', import.meta.url));
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor() {
    this.worker.on('message', (reply: BatchReply) => this.received(reply));
    this.worker.on('error', (error) => this.ended(error));
    this.worker.on('exit', (code) => this.ended(internal(`the thread reading layer files stopped (exit code ${code})`)));
  }

  read(bodies: BodyRequest[]): Promise<(Buffer | Error)[]> {
    clearTimeout(this.idleTimer);
    this.worker.ref();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { bodies, resolve, reject });
      this.worker.postMessage({ id, bodies } satisfies BatchRequest);
    });
  }

  private received({ id, content, failures }: BatchReply): void {
    const waiting = this.waiting.get(id)!;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.idle();
    const results: (Buffer | Error)[] = [];
    let offset = 0;
    for (const { size } of waiting.bodies) {
      results.push(Buffer.from(content, offset, size));
      offset += size;
    }
    for (const [index, failure] of failures) results[index] = revived(failure);
    waiting.resolve(results);
  }

  private idle(): void {
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      if (thread === this) thread = undefined;
      void this.worker.terminate();
    }, IDLE_MS).unref();
  }

  private ended(error: unknown): void {
    if (thread === this) thread = undefined;
    clearTimeout(this.idleTimer);
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

function revived({ message, kind, ...errno }: ReadFailure): Error {
  return kind === undefined ? Object.assign(new Error(message), errno) : new BerthError(kind, message);
}
