import { createRequire } from 'node:module';
import * as util from 'node:util';

/**
 * The few libc calls Node's fs lacks: mknod (device nodes, fifos, overlay whiteouts), the
 * l*xattr family (binary values such as security.capability, overlay's trusted.* attributes),
 * mount/umount2 (a syscall instead of spawning mount(8) at every container start), the
 * inode flags ioctls (chattr's attributes), posix_spawn with the pipes and waitpid around
 * it (see spawn-child.ts for why), and sealed memfds (see sealed-program.ts).
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
  posix_spawnp: (pid: number[], file: string, actions: Buffer, attributes: Buffer, argv: (string | null)[], envp: (string | null)[]) => number;
  posix_spawn_file_actions_init: (actions: Buffer) => number;
  posix_spawn_file_actions_adddup2: (actions: Buffer, fd: number, target: number) => number;
  posix_spawn_file_actions_addopen: (actions: Buffer, fd: number, path: string, flags: number, mode: number) => number;
  posix_spawn_file_actions_destroy: (actions: Buffer) => number;
  posix_spawn_file_actions_addchdir_np: (actions: Buffer, path: string) => number;
  posix_spawnattr_init: (attributes: Buffer) => number;
  posix_spawnattr_setflags: (attributes: Buffer, flags: number) => number;
  posix_spawnattr_setsigmask: (attributes: Buffer, set: Buffer) => number;
  posix_spawnattr_setsigdefault: (attributes: Buffer, set: Buffer) => number;
  posix_spawnattr_destroy: (attributes: Buffer) => number;
  sigemptyset: (set: Buffer) => number;
  sigfillset: (set: Buffer) => number;
  pipe2: (fds: number[], flags: number) => number;
  close: (fd: number) => number;
  waitpid: (pid: number, status: number[], options: number) => number;
  _exit: (status: number) => void;
  ioctl: (fd: number, request: number, ...variadic: unknown[]) => number;
  memfd_create: (name: string, flags: number) => number;
  fcntl: (fd: number, command: number, ...variadic: unknown[]) => number;
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
    posix_spawnp: lib.func('int posix_spawnp(_Out_ int *pid, const char *file, void *actions, void *attributes, const char **argv, const char **envp)'),
    posix_spawn_file_actions_init: lib.func('int posix_spawn_file_actions_init(void *actions)'),
    posix_spawn_file_actions_adddup2: lib.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int target)'),
    posix_spawn_file_actions_addopen: lib.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int flags, uint32_t mode)'),
    posix_spawn_file_actions_destroy: lib.func('int posix_spawn_file_actions_destroy(void *actions)'),
    posix_spawn_file_actions_addchdir_np: lib.func('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
    posix_spawnattr_init: lib.func('int posix_spawnattr_init(void *attributes)'),
    posix_spawnattr_setflags: lib.func('int posix_spawnattr_setflags(void *attributes, short flags)'),
    posix_spawnattr_setsigmask: lib.func('int posix_spawnattr_setsigmask(void *attributes, const void *set)'),
    posix_spawnattr_setsigdefault: lib.func('int posix_spawnattr_setsigdefault(void *attributes, const void *set)'),
    posix_spawnattr_destroy: lib.func('int posix_spawnattr_destroy(void *attributes)'),
    sigemptyset: lib.func('int sigemptyset(void *set)'),
    sigfillset: lib.func('int sigfillset(void *set)'),
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)'),
    close: lib.func('int close(int fd)'),
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
    _exit: lib.func('void _exit(int status)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
    memfd_create: lib.func('int memfd_create(const char *name, unsigned int flags)'),
    fcntl: lib.func('int fcntl(int fd, int command, ...)'),
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

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
const WNOHANG = 1;
/** glibc's posix_spawn flags. */
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** Room for glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and sigset_t (128). */
const SPAWN_STRUCT_BYTES = 512;

/** A pipe whose both ends close on exec: [read end, write end]. */
export function pipe(): [number, number] {
  const fds = [-1, -1];
  if (libc().pipe2(fds, O_CLOEXEC) !== 0) throw systemError(libc().errno(), 'pipe2', '');
  return [fds[0]!, fds[1]!];
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

/** What one of the child's descriptors is: /dev/null for reading or writing, or one of ours. */
export type ChildFd = 'null-read' | 'null-write' | number;

/**
 * posix_spawnp(3): starts `file` (looked up in PATH when it has no slash) as `argv` with `fds[i]` as its descriptor i and
 * every other descriptor closed (all of ours are close-on-exec), every signal back to its
 * default and none blocked, as Node's spawn leaves them; `newSession` runs it in a session of
 * its own (setsid), `cwd` in that directory (glibc 2.29's addchdir). Returns the pid; a program
 * that cannot be run, or a directory that cannot be entered, throws (ENOENT, EACCES).
 */
export function posixSpawn(file: string, argv: string[], env: string[], fds: ChildFd[], newSession: boolean, cwd?: string): number {
  const calls = libc();
  const actions = Buffer.alloc(SPAWN_STRUCT_BYTES);
  const attributes = Buffer.alloc(SPAWN_STRUCT_BYTES);
  const signals = Buffer.alloc(SPAWN_STRUCT_BYTES);
  calls.posix_spawn_file_actions_init(actions);
  calls.posix_spawnattr_init(attributes);
  try {
    fds.forEach((source, target) => {
      if (source === 'null-read') calls.posix_spawn_file_actions_addopen(actions, target, '/dev/null', O_RDONLY, 0);
      else if (source === 'null-write') calls.posix_spawn_file_actions_addopen(actions, target, '/dev/null', O_WRONLY, 0);
      // dup2 onto itself would keep close-on-exec; glibc clears it for that case, as POSIX 2024 asks.
      else calls.posix_spawn_file_actions_adddup2(actions, source, target);
    });
    if (cwd !== undefined) calls.posix_spawn_file_actions_addchdir_np(actions, cwd);
    calls.sigfillset(signals);
    calls.posix_spawnattr_setsigdefault(attributes, signals);
    calls.sigemptyset(signals);
    calls.posix_spawnattr_setsigmask(attributes, signals);
    calls.posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (newSession ? POSIX_SPAWN_SETSID : 0));
    const pid = [0];
    const failure = calls.posix_spawnp(pid, file, actions, attributes, [...argv, null], [...env, null]);
    if (failure !== 0) throw systemError(failure, 'posix_spawnp', file);
    return pid[0]!;
  } finally {
    calls.posix_spawn_file_actions_destroy(actions);
    calls.posix_spawnattr_destroy(attributes);
  }
}

/** How a child ended: its exit code, or the signal that killed it. */
export type WaitStatus = { code: number; signal?: undefined } | { code?: undefined; signal: number };

/** waitpid(pid, WNOHANG): the child's end if it has ended (and is now reaped), else undefined. */
export function reapChild(pid: number): WaitStatus | undefined {
  const status = [0];
  const reaped = libc().waitpid(pid, status, WNOHANG);
  if (reaped === 0) return undefined;
  // ECHILD: reaped already, or never ours. Nothing is left to wait for.
  if (reaped < 0) return { code: 255 };
  const raw = status[0]!;
  return (raw & 0x7f) === 0 ? { code: (raw >> 8) & 0xff } : { signal: raw & 0x7f };
}

/**
 * _exit(2): ends the process at once, without Node's teardown. That teardown can deadlock
 * when a background compile job waits for a garbage collection the exiting main thread never
 * runs (nodejs/node#54918); a daemon whose state is already on disk has nothing to tear down.
 */
export function exitNow(status: number): never {
  libc()._exit(status);
  throw new Error('_exit returned');
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

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_ADD_SEALS = 1033;
const F_GET_SEALS = 1034;
/** Every seal there is: no more seals, no shrinking, no growing, no writing. */
export const FULL_SEALS = 0x1 | 0x2 | 0x4 | 0x8;

/** memfd_create(2): an anonymous in-memory file that can be sealed, closed on exec. */
export function memfdCreate(name: string): number {
  const fd = libc().memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw systemError(libc().errno(), 'memfd_create', name);
  return fd;
}

/** Adds seals to a memfd (F_ADD_SEALS). */
export function addSeals(fd: number, seals: number, name: string): void {
  if (libc().fcntl(fd, F_ADD_SEALS, 'int', seals) !== 0) throw systemError(libc().errno(), 'fcntl', name, 'F_ADD_SEALS');
}

/** The seals of a memfd (F_GET_SEALS). */
export function sealsOf(fd: number, name: string): number {
  const seals = libc().fcntl(fd, F_GET_SEALS);
  if (seals < 0) throw systemError(libc().errno(), 'fcntl', name, 'F_GET_SEALS');
  return seals;
}
