import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, notFound, errnoCode } from '../common/errors.js';
import { type Digest, digestHex, parseDigest } from './digest.js';

export interface BlobExpectation {
  digest?: string;
  size?: number;
}

export interface StoredBlob {
  digest: Digest;
  size: number;
}

/** Content written to the blob store's temporary area, not yet a blob. */
export interface StagedBlob extends StoredBlob {
  /** The temporary file, to read the content from before committing. */
  readonly path: string;
  /** Makes the content a blob (fsynced, renamed into place); a blob already present stays as it is. */
  commit(): Promise<StoredBlob>;
  discard(): Promise<void>;
}

class Staged implements StagedBlob {
  constructor(
    private readonly contentDir: string,
    readonly path: string,
    readonly digest: Digest,
    readonly size: number,
  ) {}

  async commit(): Promise<StoredBlob> {
    await mkdir(this.contentDir, { recursive: true });
    await syncFile(this.path);
    await rename(this.path, join(this.contentDir, digestHex(this.digest)));
    return { digest: this.digest, size: this.size };
  }

  async discard(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/**
 * Content-addressed blobs under `<dir>/sha256/<hex>`. A blob is written to
 * `<dir>/tmp/` and renamed into place only after its digest (and size, when the
 * caller knows it) checked out, so a reader never sees partial or wrong content.
 */
export class BlobStore {
  private readonly contentDir: string;
  private readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.contentDir = join(dir, 'sha256');
    this.tmpDir = join(dir, 'tmp');
  }

  /** Removes temporaries left by a crash; call once at start, before any put. */
  async removeTemporaries(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  path(digest: string): string {
    return join(this.contentDir, digestHex(parseDigest(digest)));
  }

  async put(content: Uint8Array | string | Readable, expected: BlobExpectation = {}): Promise<StoredBlob> {
    const expectedDigest = expected.digest === undefined ? undefined : parseDigest(expected.digest);
    const staged = await this.stage(content);
    try {
      if (expectedDigest !== undefined && staged.digest !== expectedDigest) {
        throw invalidArgument(`digest mismatch: expected ${expectedDigest}, got ${staged.digest}`);
      }
      if (expected.size !== undefined && staged.size !== expected.size) {
        throw invalidArgument(`size mismatch for ${staged.digest}: expected ${expected.size} bytes, got ${staged.size}`);
      }
    } catch (error) {
      await staged.discard();
      throw error;
    }
    return staged.commit();
  }

  /**
   * Writes content to the temporary area and measures it; it becomes a blob only when the
   * caller, having checked what it needed to, commits it. Until then it can be read from
   * `path`; discard removes it.
   */
  async stage(content: Uint8Array | string | AsyncIterable<Uint8Array>): Promise<StagedBlob> {
    await mkdir(this.tmpDir, { recursive: true });
    const temporary = join(this.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
    try {
      const hash = createHash('sha256');
      let size = 0;
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      const source = typeof content === 'string' || content instanceof Uint8Array ? Readable.from([Buffer.from(content)]) : content;
      await pipeline(source, measure, createWriteStream(temporary, { mode: 0o644 }));
      return new Staged(this.contentDir, temporary, `sha256:${hash.digest('hex')}`, size);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  async get(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw notFound(`blob ${digest} not found`);
      throw error;
    }
  }

  async size(digest: string): Promise<number> {
    try {
      return (await stat(this.path(digest))).size;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw notFound(`blob ${digest} not found`);
      throw error;
    }
  }

  /** Streams a blob, or the byte range `start`..`end` (inclusive) of it. */
  async openRead(digest: string, range: { start: number; end: number } | undefined = undefined): Promise<Readable> {
    if (!(await this.has(digest))) throw notFound(`blob ${digest} not found`);
    return createReadStream(this.path(digest), range ?? {});
  }

  /** Deletes a blob; returns false when it was not there. */
  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.path(digest));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
