import { type Stats, constants as fsConstants, fstat } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { BodyBatches, type QueuedBody } from './body-batches.js';
import type { BodyLocation } from './body-reader-thread.js';
import { descriptor } from './descriptor.js';
import { corrupt, endedEarly, notADirectory, notARegularFile, wrongSize } from './split-errors.js';

const LARGE_READ_BYTES = 1024 * 1024;

export interface LargeBody {
  path: Promise<string> | string;
  size: number;
}

/**
 * Reads the bodies of one assembly's FILE records without ever leaving the layer directory:
 * small ones whole, in batches on the reading thread (body-reader-thread.ts, which makes the
 * same checks), large ones streamed here.
 */
export class LayerFiles {
  /** Parent directories checked to be real directories, by absolute path. */
  private readonly checked = new Map<string, Promise<void>>();
  private readonly small = new BodyBatches();

  constructor(
    private readonly root: string,
    private readonly keptDir: string,
    private readonly kept: ReadonlySet<number>,
  ) {}

  queueSmall(index: number, path: string, size: number): QueuedBody {
    return this.small.queue({ ...this.locate(index, path), size });
  }

  takeSmall(body: QueuedBody): Promise<Buffer> {
    return this.small.take(body);
  }

  /** A large body, whose parent directories are checked from now on (each once). */
  large(index: number, path: string, size: number): LargeBody {
    const { root, path: relative } = this.locate(index, path);
    const checks: Promise<void>[] = [];
    for (let end = relative.indexOf('/'); end !== -1; end = relative.indexOf('/', end + 1)) {
      checks.push(this.checkDirectory(root, relative.slice(0, end)));
    }
    const absolute = `${root}/${relative}`;
    if (checks.length === 0) return { path: absolute, size };
    const checked = Promise.all(checks).then(() => absolute);
    // Awaited by stream; a check that fails while earlier pieces are sent must not be an unhandled rejection.
    checked.catch(() => undefined);
    return { path: checked, size };
  }

  async *stream(body: LargeBody): AsyncGenerator<Buffer> {
    // The small bodies queued after this one are read meanwhile.
    this.small.send();
    const path = await body.path;
    const fd = await this.open(path, body.size);
    try {
      let remaining = body.size;
      while (remaining > 0) {
        const buffer = Buffer.allocUnsafe(Math.min(remaining, LARGE_READ_BYTES));
        const { bytesRead } = await descriptor.read(fd, buffer, 0, buffer.length, null);
        if (bytesRead === 0) throw endedEarly(path, body.size);
        remaining -= bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await descriptor.close(fd);
    }
  }

  /** Where a FILE record's body is: in the layer, or kept aside when a later entry replaced it. */
  private locate(index: number, path: string): BodyLocation {
    if (this.kept.has(index)) return { root: this.keptDir, path: String(index) };
    if (path.includes('\0') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw corrupt(`refusing body path "${path}"`);
    }
    return { root: this.root, path };
  }

  private checkDirectory(root: string, relative: string): Promise<void> {
    const absolute = `${root}/${relative}`;
    let check = this.checked.get(absolute);
    if (check === undefined) {
      check = lstat(absolute).then((stats) => {
        if (!stats.isDirectory()) throw notADirectory(relative);
      });
      check.catch(() => undefined);
      this.checked.set(absolute, check);
    }
    return check;
  }

  private async open(path: string, size: number): Promise<number> {
    const fd = await descriptor.open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    try {
      const stats = await new Promise<Stats>((resolve, reject) => fstat(fd, (error, s) => (error ? reject(error) : resolve(s))));
      if (!stats.isFile()) throw notARegularFile(path);
      if (stats.size !== size) throw wrongSize(path, stats.size, size);
      return fd;
    } catch (error) {
      await descriptor.close(fd);
      throw error;
    }
  }
}
