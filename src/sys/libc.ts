import { createRequire } from 'node:module';
import * as util from 'node:util';

/**
 * The few libc calls Node's fs lacks: mknod (device nodes, fifos, overlay whiteouts), the
 * l*xattr family (binary values such as security.capability, overlay's trusted.* attributes),
 * mount/umount2 (a syscall instead of spawning mount(8) at every container start) and the
 * inode flags ioctls (chattr's attributes).
 * koffi is loaded on first use so that commands which never touch these keep a fast start-up.
 * Calls are synchronous: each is one short syscall, cheaper than a round trip to a worker thread.
 */

interface LibcBindings {
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer, size: number) => number;
  llistxattr: (path: string, list: Buffer, size: number) => number;
  mount: (source: string, target: string, fstype: string, flags: number, data: string) => number;
  umount2: (target: string, flags: number) => number;
  malloc_trim: (pad: number) => number;
  ioctl: (fd: number, request: number, ...variadic: unknown[]) => number;
  errno: () => number;
}

let bindings: LibcBindings | undefined;

function libc(): LibcBindings {
  if (bindings !== undefined) return bindings;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  bindings = {
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)'),
    llistxattr: lib.func('long llistxattr(const char *path, void *list, size_t size)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    malloc_trim: lib.func('int malloc_trim(size_t pad)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
    errno: () => koffi.errno(),
  };
  return bindings;
}

/** The kernel's limits for one value (XATTR_SIZE_MAX) and for a name list (XATTR_LIST_MAX). */
const XATTR_MAX_BYTES = 65536;
let scratch: Buffer | undefined;

function scratchBuffer(): Buffer {
  scratch ??= Buffer.allocUnsafe(XATTR_MAX_BYTES);
  return scratch;
}

export interface SystemError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path: string;
}

/** Builds an error shaped like Node's own fs errors (negative errno, code, syscall, path). */
function systemError(errnoValue: number, syscall: string, path: string, detail?: string): SystemError {
  const code = util.getSystemErrorName(-errnoValue);
  // util.getSystemErrorMessage exists from Node 23.1; the code alone is still a usable message.
  const describe = (util as { getSystemErrorMessage?: (errno: number) => string }).getSystemErrorMessage;
  const description = describe === undefined ? code : describe(-errnoValue);
  const subject = detail === undefined ? `'${path}'` : `'${path}' (${detail})`;
  const error = new Error(`${code}: ${description}, ${syscall} ${subject}`) as SystemError;
  error.errno = -errnoValue;
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

/** Linux's dev_t encoding (glibc's makedev): 12+20 bits of major, 8+24 bits of minor. */
export function makeDevice(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return (
    ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn)
  );
}

/** Splits a stat rdev (a number, exact up to 2^53) into major and minor. */
export function splitDevice(rdev: number | bigint): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * Creates a filesystem node. `mode` holds the type (S_IFCHR, S_IFBLK, S_IFIFO, S_IFREG) and the
 * permission bits, which the umask still trims as for any creation.
 */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  const calls = libc();
  if (calls.mknod(path, mode, makeDevice(major, minor)) !== 0) throw systemError(calls.errno(), 'mknod', path);
}

export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/** Sets an extended attribute on a path without following a final symlink. */
export function lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
  const calls = libc();
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (calls.lsetxattr(path, name, bytes, bytes.length, flags) !== 0) {
    throw systemError(calls.errno(), 'lsetxattr', path, name);
  }
}

/** Reads an extended attribute's raw bytes; throws ENODATA when the attribute is not set. */
export function lgetxattr(path: string, name: string): Buffer {
  const calls = libc();
  const buffer = scratchBuffer();
  const length = calls.lgetxattr(path, name, buffer, buffer.length);
  if (length < 0) throw systemError(calls.errno(), 'lgetxattr', path, name);
  return Buffer.from(buffer.subarray(0, length));
}

/** Lists the names of a path's extended attributes (not following a final symlink). */
export function llistxattr(path: string): string[] {
  const calls = libc();
  const buffer = scratchBuffer();
  const length = calls.llistxattr(path, buffer, buffer.length);
  if (length < 0) throw systemError(calls.errno(), 'llistxattr', path);
  if (length === 0) return [];
  return buffer.toString('utf8', 0, length - 1).split('\0');
}

/** mount(2). Relative paths in `data` (overlay lowerdirs) resolve against the process's working directory. */
export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  if (libc().mount(source, target, fstype, flags, data) !== 0) throw systemError(libc().errno(), 'mount', target);
}

/** MNT_DETACH: detach now, finish when the mount is no longer busy. */
export const MNT_DETACH = 2;

export function umount2(target: string, flags = 0): void {
  if (libc().umount2(target, flags) !== 0) throw systemError(libc().errno(), 'umount2', target);
}

/** malloc_trim(3): hands the free memory of every malloc arena back to the kernel. */
export function mallocTrim(): void {
  libc().malloc_trim(0);
}

/** _IOR('f', 1, long) and _IOW('f', 2, long); the kernel reads and writes an int through either. */
const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_SETFLAGS = 0x40086602;

/** The inode flags of an open file, those chattr(1) shows (FS_IOC_GETFLAGS). */
export function inodeFlags(fd: number, path: string): number {
  const flags = Buffer.alloc(4);
  if (libc().ioctl(fd, FS_IOC_GETFLAGS, 'void *', flags) !== 0) throw systemError(libc().errno(), 'ioctl', path, 'FS_IOC_GETFLAGS');
  return flags.readInt32LE(0);
}

/** Sets the inode flags of an open file (FS_IOC_SETFLAGS). */
export function setInodeFlags(fd: number, flags: number, path: string): void {
  const value = Buffer.alloc(4);
  value.writeInt32LE(flags, 0);
  if (libc().ioctl(fd, FS_IOC_SETFLAGS, 'void *', value) !== 0) throw systemError(libc().errno(), 'ioctl', path, 'FS_IOC_SETFLAGS');
}
