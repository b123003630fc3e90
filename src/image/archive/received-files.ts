import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { StagedBlob } from '../../store/blob-store.js';
import type { Digest } from '../../store/digest.js';
import type { Compression } from '../../tar/decompress.js';
import type { ArchiveContents } from './load-plan.js';
import { archivePath } from './layout.js';

/** A regular file of an archive being loaded, as far as the loader kept it. */
export interface ReceivedFile {
  path: string;
  size: number;
  /** sha256 of the content, measured as it arrived. */
  digest: Digest;
  compression: Compression;
  /** Small files (configs, manifests, small layers) are kept in memory... */
  content?: Buffer;
  /** ...larger ones in the blob store's temporary area... */
  staged?: StagedBlob;
  /** ...and content a present layer can give back is not kept: that layer's chain id. */
  reproducibleFrom?: Digest;
}

/** A file that looked like a layer and failed to unpack as it arrived: an error if the archive names it as a layer. */
export interface FailedFile {
  path: string;
  failure: unknown;
}

/** Metadata files are small; a "config" larger than this is not one berth will parse. */
const METADATA_LIMIT = 64 * 1024 * 1024;
const MAX_LINK_HOPS = 16;

/**
 * The files of an archive by path, with its symlinks and hardlinks (old `docker save` output
 * links a layer.tar shared by two images) resolved inside the archive.
 */
export class ReceivedFiles implements ArchiveContents {
  private readonly files = new Map<string, ReceivedFile | FailedFile>();
  /** Link path → the archive path it points to. */
  private readonly links = new Map<string, string>();
  /** Every staged file, including ones a later member of the same name replaced, for cleanup. */
  readonly staged: StagedBlob[] = [];

  add(file: ReceivedFile | FailedFile): void {
    this.links.delete(file.path);
    this.files.set(file.path, file);
    if ('staged' in file && file.staged !== undefined) this.staged.push(file.staged);
  }

  /** A symlink's target is relative to its directory; a hardlink's (absolute: true) to the archive's root. */
  link(path: string, target: string, options: { absolute: boolean }): void {
    const base = options.absolute || target.startsWith('/') ? '' : posix.dirname(path);
    const resolved = archivePath(posix.join(base, target));
    if (resolved === undefined) return;
    this.files.delete(path);
    this.links.set(path, resolved);
  }

  get(path: string): ReceivedFile | FailedFile | undefined {
    let current = path;
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const file = this.files.get(current);
      if (file !== undefined) return file;
      const next = this.links.get(current);
      if (next === undefined) return undefined;
      current = next;
    }
    return undefined;
  }

  async read(path: string): Promise<Buffer | undefined> {
    const file = this.get(path);
    if (file === undefined || 'failure' in file || file.size > METADATA_LIMIT) return undefined;
    if (file.content !== undefined) return file.content;
    return file.staged === undefined ? undefined : readFile(file.staged.path);
  }
}
