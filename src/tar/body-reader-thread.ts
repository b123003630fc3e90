import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { type ErrorKind, isBerthError } from '../common/errors.js';
import { endedEarly, notADirectory, notARegularFile, wrongSize } from './split-errors.js';

/**
 * The worker side of body-reader.ts: reads batches of small layer files with synchronous
 * calls, each a fraction of the cost of its asynchronous form on the event loop, and only this
 * thread waits when the cache is cold.
 */

/** A file under a directory it must not leave (the layer's, or that of kept bodies). */
export interface BodyLocation {
  root: string;
  /** Relative to root, already checked to have no '..' or empty components. */
  path: string;
}

export interface BodyRequest extends BodyLocation {
  size: number;
}

export interface BatchRequest {
  id: number;
  bodies: BodyRequest[];
}

/** An error as it crosses threads: structured cloning would drop its kind and errno fields. */
export interface ReadFailure {
  message: string;
  kind?: ErrorKind;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

export interface BatchReply {
  id: number;
  /** The bodies one after another, in request order; a failed body's bytes stay zero. */
  content: ArrayBuffer;
  /** By index of request. */
  failures: [number, ReadFailure][];
}

const port = parentPort!;
port.on('message', (batch: BatchRequest) => {
  const reply = readBatch(batch);
  port.postMessage(reply, [reply.content]);
});

function readBatch({ id, bodies }: BatchRequest): BatchReply {
  // Not Buffer.allocUnsafe: a small one is a slice of a shared pool, which transferring would take away.
  const content = new ArrayBuffer(bodies.reduce((total, body) => total + body.size, 0));
  const failures: [number, ReadFailure][] = [];
  // Found to be real directories, for this batch only: checks a moment old, not an assembly old.
  const directories = new Set<string>();
  let offset = 0;
  for (const [index, body] of bodies.entries()) {
    try {
      readBody(body, new Uint8Array(content, offset, body.size), directories);
    } catch (error) {
      failures.push([index, failureOf(error)]);
    }
    offset += body.size;
  }
  return { id, content, failures };
}

function readBody({ root, path, size }: BodyRequest, into: Uint8Array, directories: Set<string>): void {
  for (let end = path.indexOf('/'); end !== -1; end = path.indexOf('/', end + 1)) {
    const parent = `${root}/${path.slice(0, end)}`;
    if (directories.has(parent)) continue;
    if (!lstatSync(parent).isDirectory()) throw notADirectory(path.slice(0, end));
    directories.add(parent);
  }
  const absolute = `${root}/${path}`;
  // O_NONBLOCK: a fifo put in the file's place must not hang the thread every assembly shares.
  const fd = openSync(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notARegularFile(absolute);
    if (stats.size !== size) throw wrongSize(absolute, stats.size, size);
    for (let offset = 0; offset < size; ) {
      const bytesRead = readSync(fd, into, offset, size - offset, null);
      if (bytesRead === 0) throw endedEarly(absolute, size);
      offset += bytesRead;
    }
  } finally {
    closeSync(fd);
  }
}

function failureOf(error: unknown): ReadFailure {
  if (isBerthError(error)) return { message: error.message, kind: error.kind };
  const { message, code, errno, syscall, path } = error as NodeJS.ErrnoException;
  return { message, code, errno, syscall, path };
}
