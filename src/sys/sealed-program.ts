/**
 * A program run from a sealed in-memory copy of its file, held open by berthd.
 *
 * crun and runc guard against a container overwriting the runtime's binary through
 * /proc/<pid>/exe (CVE-2019-5736): unless they already run from a memfd carrying every seal,
 * they bind-mount or copy themselves and execute again at every invocation. That second exec,
 * with its dynamic linking, is ~1.5 ms of the 9 ms a `crun exec` takes here, paid by every
 * start, exec, kill and delete. A copy sealed once gives the same guarantee (no process can
 * write it, resize it, or lift the seals), which is how runc's memfd-bind tool does it.
 *
 * The copy is made on first use and made again when the file changes (a package upgrade), so
 * berthd always runs what is installed. It is reached as /proc/<berthd>/fd/<n>: children
 * resolve that path through berthd's descriptor table, so the descriptor stays close-on-exec
 * and no child inherits it.
 */
import { readFile, stat } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { basename } from 'node:path';
import { addSeals, closeFd, FULL_SEALS, memfdCreate } from './libc.js';

/**
 * How long a replaced copy stays open: a child told its path (conmon, which runs the
 * runtime a moment after it starts) must still find it, and a closed descriptor's number
 * could be reused by an unrelated file.
 */
const RETIRED_COPY_MS = 60_000;

export class SealedProgram {
  /** The file's identity (device, inode, size, change time) when the current copy was made. */
  private copiedIdentity: string | undefined;
  /** The descriptor of the sealed copy, undefined when none could be made. */
  private copy: Promise<number | undefined> | undefined;

  constructor(readonly path: string) {}

  /**
   * The path to execute: the sealed copy of the file as it is now, or the file itself when
   * no copy can be made (no memfd support, an unreadable file), so that running it still
   * works, or fails with the usual error.
   */
  async executable(): Promise<string> {
    const identity = await fileIdentity(this.path).catch(() => undefined);
    if (identity === undefined) return this.path;
    // Checked and swapped with no await in between, so concurrent callers make one copy.
    if (identity !== this.copiedIdentity) {
      const previous = this.copy;
      this.copiedIdentity = identity;
      this.copy = makeCopy(this.path, identity);
      void previous?.then((fd) => fd !== undefined && retire(fd));
    }
    const current = await this.copy;
    return current === undefined ? this.path : `/proc/${process.pid}/fd/${current}`;
  }
}

async function fileIdentity(path: string): Promise<string> {
  const info = await stat(path, { bigint: true });
  return `${info.dev}:${info.ino}:${info.size}:${info.ctimeNs}`;
}

async function makeCopy(path: string, identity: string): Promise<number | undefined> {
  let fd: number;
  try {
    fd = memfdCreate(basename(path));
  } catch {
    return undefined;
  }
  try {
    const content = await readFile(path);
    for (let written = 0; written < content.length;) written += writeSync(fd, content, written);
    addSeals(fd, FULL_SEALS, path);
    // A file changed while it was read gives a copy of neither version; the next call copies again.
    if ((await fileIdentity(path)) === identity) return fd;
  } catch {
    // Unreadable: run the file itself, which fails with the usual error if it cannot run.
  }
  closeFd(fd);
  return undefined;
}

function retire(fd: number): void {
  setTimeout(() => closeFd(fd), RETIRED_COPY_MS).unref();
}
