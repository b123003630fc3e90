import { createHash } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, constants as fsConstants, futimesSync, openSync, writeSync } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, readFile, rm, symlink, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { invalidArgument, errnoCode } from '../common/errors.js';
import { lsetxattr, mknod } from '../sys/libc.js';
import { ByteQueue } from './byte-queue.js';
import { type ByteSource, decompressed } from './decompress.js';
import { descriptor } from './descriptor.js';
import type { TarHeader } from './header.js';
import { type TarEntry, readEntries } from './reader.js';
import { TarSplitWriter, keptBodiesDir } from './tar-split.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, isOverlayXattr } from './whiteout.js';

export interface AppliedLayer {
  /** sha256 of the uncompressed tar stream, as image configs list it in rootfs.diff_ids. */
  diffId: string;
  /** Bytes of regular-file content unpacked (what docker reports as a layer's size). */
  size: number;
  /** Length of the uncompressed tar stream. */
  tarSize: number;
}

export interface ApplyLayerOptions {
  /**
   * Where to write the layer's tar-split (see tar-split.ts), so the exact tar stream can be
   * given back later from the unpacked directory. It must be outside layerDir.
   */
  tarSplit?: string;
}

/**
 * Unpacks a layer tar (plain, gzip or zstd) into an empty directory in overlayfs's form:
 * `.wh.<name>` entries become 0/0 character devices, `.wh..wh..opq` sets trusted.overlay.opaque.
 *
 * Nothing is ever written outside layerDir: paths are resolved lexically (a leading '/' is
 * dropped, a '..' above the root is refused), and because the directory starts empty, every
 * node in it was made here and is tracked, so no path is ever resolved through a symlink —
 * an entry below a symlink, or a hardlink to a path outside the layer, is refused.
 * On failure the directory is emptied again (or removed, if this call created it), and no
 * tar-split is left.
 */
export async function applyLayer(source: ByteSource, layerDir: string, options: ApplyLayerOptions = {}): Promise<AppliedLayer> {
  const root = resolve(layerDir);
  const created = (await mkdir(root, { recursive: true })) !== undefined;
  if (!created && (await readdir(root)).length > 0) {
    throw invalidArgument(`cannot apply a layer into ${root}: the directory is not empty`);
  }
  const hash = createHash('sha256');
  let tarSize = 0;
  const queue = new ByteQueue(
    (async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of decompressed(source)) {
        hash.update(chunk);
        tarSize += chunk.length;
        yield chunk;
      }
    })(),
  );
  const split = options.tarSplit === undefined ? undefined : new TarSplitWriter(options.tarSplit);
  if (split !== undefined) queue.tap = (chunk) => split.raw(chunk);
  const unpacker = new LayerUnpacker(root, await ownershipDefaults(root), await currentUmask(), split);
  try {
    for await (const entry of readEntries(queue, split)) {
      await unpacker.apply(entry);
      await split?.ready();
    }
    // Trailing zero blocks past the end marker are part of the blob the diffId covers.
    await queue.drain();
    await unpacker.finish();
    if (split !== undefined) {
      if (split.length !== tarSize) throw new Error(`tar-split recorded ${split.length} bytes of a ${tarSize}-byte layer`);
      await split.finish();
    }
  } catch (error) {
    await queue.close();
    await unpacker.abandon();
    if (split !== undefined) {
      await split.abort();
      await rm(split.path, { force: true });
      await rm(keptBodiesDir(split.path), { recursive: true, force: true });
    }
    if (created) await rm(root, { recursive: true, force: true });
    else await Promise.all((await readdir(root)).map((name) => rm(join(root, name), { recursive: true, force: true })));
    throw error;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size: unpacker.contentSize, tarSize };
}

type NodeKind = 'directory' | 'symlink' | 'other';

interface DirectoryMetadata {
  mode: number;
  atime: number;
  mtime: number;
}

/**
 * Files up to this size are written with synchronous calls: for them the thread pool's round
 * trip (four or five per file) costs more than the system calls, and a layer is mostly such
 * files. The event loop still turns between chunks of the tar stream.
 */
const TINY_FILE_BYTES = 64 * 1024;
/** Files up to this size are read whole and written in the background, several at a time. */
const SMALL_FILE_BYTES = 1024 * 1024;
const MAX_BACKGROUND_WRITES = 32;
/** A file is always new: nothing is written through a name that already exists or is a symlink. */
const NEW_FILE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
const MAX_BACKGROUND_BYTES = 32 * 1024 * 1024;

class LayerUnpacker {
  /** Every node this unpacking created, by its layer-relative path ('' is the root). */
  private readonly nodes = new Map<string, NodeKind>([['', 'directory']]);
  /** Directory modes and times, applied last: writing children would change them. */
  private readonly directories = new Map<string, DirectoryMetadata>();
  private readonly writes = new Map<string, Promise<void>>();
  private backgroundBytes = 0;
  private failure: unknown;
  contentSize = 0;

  constructor(
    private readonly root: string,
    /** The owner new nodes get without a chown, when it is predictable. */
    private readonly defaultOwner: { uid: number; gid: number } | undefined,
    private readonly umask: number,
    /** Told before a file whose body it references is removed or replaced. */
    private readonly split: TarSplitWriter | undefined,
  ) {}

  async apply({ header, body, storeBody }: TarEntry): Promise<void> {
    this.throwIfFailed();
    const parts = entryParts(header.path, header.path);
    if (parts.length === 0) return this.applyRoot(header);
    const base = parts[parts.length - 1]!;

    // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs and whatever lies below them) describes no file.
    const isAufsMetadata = (part: string, index: number): boolean =>
      part.startsWith(WHITEOUT_META_PREFIX) && !(part === OPAQUE_MARKER && index === parts.length - 1);
    if (parts.some(isAufsMetadata)) return;
    if (base === OPAQUE_MARKER) {
      const directory = parts.slice(0, -1);
      await this.ensureParents(parts, header.path);
      this.setXattr(this.absolute(directory.join('/')), OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') throw invalidArgument(`invalid whiteout entry "${header.path}" in layer`);
      return this.createWhiteout([...parts.slice(0, -1), hidden], header);
    }

    await this.ensureParents(parts, header.path);
    const key = parts.join('/');
    const path = this.absolute(key);
    switch (header.type) {
      case 'directory':
        return this.createDirectory(key, path, header);
      case 'file':
        await this.replace(key, 'other');
        this.nodes.set(key, 'other');
        this.contentSize += header.size;
        storeBody?.(key);
        return this.writeFile(key, path, header, body);
      case 'symlink':
        await this.replace(key, 'symlink');
        await symlink(header.linkpath, path);
        this.nodes.set(key, 'symlink');
        await this.applyOwner(path, header);
        this.applyXattrs(path, header);
        await lutimes(path, header.atime ?? header.mtime, header.mtime);
        return;
      case 'hardlink':
        return this.createHardlink(key, path, header);
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await this.replace(key, 'other');
        mknod(path, fileTypeBits(header.type) | (header.mode & 0o777), header.devmajor, header.devminor);
        this.nodes.set(key, 'other');
        await this.applyOwner(path, header);
        if (this.needsChmod(header.mode)) await chmod(path, header.mode);
        this.applyXattrs(path, header);
        await lutimes(path, header.atime ?? header.mtime, header.mtime);
        return;
      case 'unsupported':
        throw invalidArgument(`tar entry "${header.path}" has a type berth cannot unpack (typeflag '${header.typeflag}')`);
    }
  }

  /** Waits for background writes and sets directory modes and times, deepest first. */
  async finish(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
    const ordered = [...this.directories].sort(([a], [b]) => b.length - a.length);
    await inBatches(ordered, 64, async ([key, metadata]) => {
      const path = this.absolute(key);
      await chmod(path, metadata.mode);
      await lutimes(path, metadata.atime, metadata.mtime);
    });
  }

  /** Lets background writes end (ignoring their errors) before the caller removes the tree. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.writes.values());
  }

  private async applyRoot(header: TarHeader): Promise<void> {
    if (header.type !== 'directory') throw invalidArgument(`tar entry "${header.path}" would replace the layer's root`);
    await this.applyOwner(this.root, header);
    this.applyXattrs(this.root, header);
    this.directories.set('', { mode: header.mode, atime: header.atime ?? header.mtime, mtime: header.mtime });
  }

  private async createDirectory(key: string, path: string, header: TarHeader): Promise<void> {
    if (this.nodes.get(key) !== 'directory') {
      await this.replace(key, 'directory');
      await mkdir(path, 0o700);
      this.nodes.set(key, 'directory');
    }
    await this.applyOwner(path, header);
    this.applyXattrs(path, header);
    this.directories.set(key, { mode: header.mode, atime: header.atime ?? header.mtime, mtime: header.mtime });
  }

  private async createWhiteout(parts: string[], header: TarHeader): Promise<void> {
    await this.ensureParents(parts, header.path);
    const key = parts.join('/');
    const path = this.absolute(key);
    await this.replace(key, 'other');
    mknod(path, fsConstants.S_IFCHR, 0, 0);
    this.nodes.set(key, 'other');
    await this.applyOwner(path, header);
    await lutimes(path, header.atime ?? header.mtime, header.mtime);
  }

  private async createHardlink(key: string, path: string, header: TarHeader): Promise<void> {
    const targetParts = entryParts(header.linkpath, header.path);
    const targetKey = targetParts.join('/');
    const targetKind = this.nodes.get(targetKey);
    if (targetParts.length === 0 || targetKind === undefined) {
      throw invalidArgument(`tar entry "${header.path}" is a hardlink to "${header.linkpath}", which is not in the layer`);
    }
    if (targetKind === 'directory') {
      throw invalidArgument(`tar entry "${header.path}" is a hardlink to the directory "${header.linkpath}"`);
    }
    if (targetKey === key) return;
    await this.writes.get(targetKey);
    await this.replace(key, targetKind);
    await link(this.absolute(targetKey), path);
    this.nodes.set(key, targetKind);
  }

  private async writeFile(key: string, path: string, header: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
    if (header.size > SMALL_FILE_BYTES) {
      await this.settle();
      return this.writeFileContent(path, header, body);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    const content = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (content.length <= TINY_FILE_BYTES) return this.writeFileNow(path, header, content);
    while (
      this.writes.size > 0 &&
      (this.writes.size >= MAX_BACKGROUND_WRITES || this.backgroundBytes + content.length > MAX_BACKGROUND_BYTES)
    ) {
      await Promise.race(this.writes.values());
    }
    this.throwIfFailed();
    this.backgroundBytes += content.length;
    const write = this.writeFileContent(path, header, content)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.backgroundBytes -= content.length;
        if (this.writes.get(key) === write) this.writes.delete(key);
      });
    this.writes.set(key, write);
  }

  private writeFileNow(path: string, header: TarHeader, content: Buffer): void {
    const fd = openSync(path, NEW_FILE_FLAGS, header.mode & 0o777);
    try {
      let offset = 0;
      while (offset < content.length) offset += writeSync(fd, content, offset, content.length - offset);
      if (!this.ownedByDefault(header)) fchownSync(fd, header.uid, header.gid);
      // After the chown, which clears setuid/setgid bits.
      if (this.needsChmod(header.mode)) fchmodSync(fd, header.mode);
      futimesSync(fd, header.atime ?? header.mtime, header.mtime);
    } finally {
      closeSync(fd);
    }
    // Last: writing and chown both drop security.capability.
    this.applyXattrs(path, header);
  }

  private async writeFileContent(path: string, header: TarHeader, content: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const fd = await descriptor.open(path, NEW_FILE_FLAGS, header.mode & 0o777);
    try {
      for await (const chunk of Buffer.isBuffer(content) ? [content] : content) {
        let offset = 0;
        while (offset < chunk.length) offset += (await descriptor.write(fd, chunk, offset, chunk.length - offset)).bytesWritten;
      }
      if (!this.ownedByDefault(header)) await descriptor.fchown(fd, header.uid, header.gid);
      // After the chown, which clears setuid/setgid bits.
      if (this.needsChmod(header.mode)) await descriptor.fchmod(fd, header.mode);
      await descriptor.futimes(fd, header.atime ?? header.mtime, header.mtime);
    } finally {
      await descriptor.close(fd);
    }
    // Last: writing and chown both drop security.capability.
    this.applyXattrs(path, header);
  }

  /**
   * Makes every parent of an entry a real directory of this layer, creating missing ones
   * (0755). A parent that is a symlink or a non-directory stops the entry: following it could
   * leave the layer, and tar would not write through it either.
   */
  private async ensureParents(parts: string[], entryName: string): Promise<void> {
    let key = '';
    for (let index = 0; index < parts.length - 1; index++) {
      key = index === 0 ? parts[0]! : `${key}/${parts[index]}`;
      const kind = this.nodes.get(key);
      if (kind === 'directory') continue;
      if (kind === 'symlink') {
        throw invalidArgument(`tar entry "${entryName}" would be written through the symlink "${key}"`);
      }
      if (kind === 'other') throw invalidArgument(`tar entry "${entryName}" is below "${key}", which is not a directory`);
      const path = this.absolute(key);
      await mkdir(path, 0o755);
      if (this.needsChmod(0o755)) await chmod(path, 0o755);
      this.nodes.set(key, 'directory');
    }
  }

  /** Removes what an entry replaces (a later entry wins); a directory stays for a directory. */
  private async replace(key: string, incoming: NodeKind): Promise<void> {
    const existing = this.nodes.get(key);
    if (existing === undefined) return;
    if (existing === 'directory') {
      if (incoming === 'directory') return;
      await this.settle();
      if (this.split !== undefined) {
        for (const [known, kind] of this.nodes) {
          if (kind === 'other' && known.startsWith(`${key}/`)) await this.split.keepBody(known, this.absolute(known));
        }
      }
      await rm(this.absolute(key), { recursive: true, force: true });
      for (const known of [...this.nodes.keys()]) if (known === key || known.startsWith(`${key}/`)) this.nodes.delete(known);
      for (const known of [...this.directories.keys()]) {
        if (known === key || known.startsWith(`${key}/`)) this.directories.delete(known);
      }
      return;
    }
    await this.writes.get(key);
    await this.split?.keepBody(key, this.absolute(key));
    await unlink(this.absolute(key));
    this.nodes.delete(key);
  }

  private async settle(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes.values());
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private ownedByDefault(header: TarHeader): boolean {
    return this.defaultOwner !== undefined && header.uid === this.defaultOwner.uid && header.gid === this.defaultOwner.gid;
  }

  private async applyOwner(path: string, header: TarHeader): Promise<void> {
    if (!this.ownedByDefault(header)) await lchown(path, header.uid, header.gid);
  }

  /** Whether a creation mode trimmed by the umask, or lacking special bits, needs a chmod. */
  private needsChmod(mode: number): boolean {
    return (mode & 0o7000) !== 0 || (mode & this.umask) !== 0;
  }

  private applyXattrs(path: string, header: TarHeader): void {
    for (const [name, value] of header.xattrs) {
      if (!isOverlayXattr(name)) this.setXattr(path, name, value);
    }
  }

  private setXattr(path: string, name: string, value: Buffer): void {
    try {
      lsetxattr(path, name, value);
    } catch (error) {
      // A filesystem without xattr support loses them, as with docker; anything else is an error.
      if (errnoCode(error) !== 'EOPNOTSUPP' && errnoCode(error) !== 'ENOTSUP') throw error;
    }
  }

  private absolute(key: string): string {
    return key === '' ? this.root : `${this.root}/${key}`;
  }
}

/**
 * A tar path as layer-relative components: leading '/' dropped (docker does the same), '.' and
 * empty components skipped, '..' applied lexically — and refused when it climbs above the root.
 */
function entryParts(name: string, entryName: string): string[] {
  if (name.includes('\0')) throw invalidArgument(`tar entry "${entryName}" has a NUL byte in a path`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw invalidArgument(`tar entry "${entryName}" points outside the layer ("${name}")`);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}

function fileTypeBits(type: 'character-device' | 'block-device' | 'fifo'): number {
  if (type === 'character-device') return fsConstants.S_IFCHR;
  if (type === 'block-device') return fsConstants.S_IFBLK;
  return fsConstants.S_IFIFO;
}

/**
 * New nodes belong to the effective user and group unless the directory they are made in is
 * setgid. Directories made here stay 0700/0755 until the end, so only the root can be setgid;
 * in that case every node is chowned explicitly.
 */
async function ownershipDefaults(root: string): Promise<{ uid: number; gid: number } | undefined> {
  const stats = await lstat(root);
  if ((stats.mode & 0o2000) !== 0) return undefined;
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
}

/** The process umask, read without changing it (process.umask() with no argument is deprecated). */
async function currentUmask(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const match = /^Umask:\s*([0-7]+)$/m.exec(status);
  return match === null ? 0o022 : parseInt(match[1]!, 8);
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(work));
  }
}
