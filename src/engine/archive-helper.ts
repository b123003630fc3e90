/**
 * The child process behind `docker cp`: it chroots into a container's mounted rootfs and only
 * then touches a path of the container.
 *
 * Why a chrooted child and not path checks in berthd: the container may be running and can
 * swap any directory for a symlink (`/tmp/dir -> /`) between a check and the use of its result
 * (CVE-2018-15664). After chroot(2) the kernel itself resolves every path, symlink and `..`
 * inside the rootfs, so no interleaving of the container's renames can make this process reach
 * a host file. Node cannot chroot a thread, but chroot is process-wide, so the whole helper is
 * confined. Everything it needs (modules, koffi, libc) is loaded before the chroot, since the
 * host's node_modules are not visible afterwards. It never executes anything from the container.
 *
 * Mounts of a running container live in its own mount namespace, not in the rootfs seen from
 * the host. For a path in a bind or volume the parent roots this helper in the mount's host
 * side instead (container-archive.ts); the generated /etc/hosts, /etc/hostname, /etc/resolv.conf
 * and tmpfs mounts are not followed: the helper sees the rootfs's own files at those paths.
 *
 * Protocol: argv[2] is the rootfs, argv[3] a JSON ArchiveRequest. One JSON line goes to fd 3:
 * {"stat": ...} (then, for `get`, the tar on stdout), {"done": true} after a `put`, or
 * {"error": {"kind", "message"}}. A `put` reads its tar on stdin.
 */
import { lstat, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';
import { type BigIntStats, writeSync } from 'node:fs';
import { type ContainerPathStat, absoluteContainerPath, goBase, goFileMode, goTime } from '../common/container-path-stat.js';
import { BerthError, errnoCode } from '../common/errors.js';
import { llistxattr } from '../sys/libc.js';
import { extractInto } from '../tar/extract.js';
import { packPath } from '../tar/pack-path.js';
import { readTar } from '../tar/reader.js';
import { resolveInRoot } from './path-in-root.js';
import { resolveUser } from './user.js';

/**
 * `name` stands for the path's base name when the root is a bind or volume whose
 * mount point the path is: inside the mount's source that path is `/`.
 */
export type ArchiveRequest =
  | { op: 'stat'; path: string; name?: string }
  | { op: 'get'; path: string; name?: string }
  | { op: 'put'; path: string; noOverwriteDirNonDir: boolean; chownToUser: string | undefined };

/** What fd 3 carries; `missing` and `not-a-directory` are turned into docker's messages by the parent. */
export type ArchiveReply =
  | { stat: ContainerPathStat }
  | { done: true }
  | { error: { kind: 'missing' | 'not-a-directory' | 'invalid-argument' | 'internal'; message: string } };

class ArchiveFailure extends Error {
  constructor(
    readonly kind: 'missing' | 'not-a-directory',
    message: string,
  ) {
    super(message);
  }
}

const RESULT_FD = 3;

function reply(message: ArchiveReply): void {
  writeSync(RESULT_FD, `${JSON.stringify(message)}\n`);
}

function enterRoot(root: string): void {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const chroot = koffi.load('libc.so.6').func('int chroot(const char *path)') as (path: string) => number;
  // Loads libc.ts's own koffi bindings now: after the chroot, require() could not find koffi.
  llistxattr('/');
  if (chroot(root) !== 0) throw new Error(`chroot ${root}: errno ${koffi.errno()}`);
  process.chdir('/');
}

async function lstatOrMissing(path: string, follow: boolean): Promise<BigIntStats> {
  try {
    return follow ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') throw new ArchiveFailure('missing', code);
    throw error;
  }
}

async function statPath(path: string, name: string | undefined): Promise<{ stats: BigIntStats; stat: ContainerPathStat }> {
  // lstat, as docker: a final symlink is described, not followed, unless the path ends in '/' or '/.'.
  const stats = await lstatOrMissing(path, false);
  const linkTarget = stats.isSymbolicLink() ? await resolveInRoot('/', path) : '';
  return {
    stats,
    stat: {
      name: path === '/' && name !== undefined ? name : goBase(path),
      size: Number(stats.size),
      mode: goFileMode(Number(stats.mode)),
      mtime: goTime(stats.mtimeMs / 1000n, stats.mtimeNs % 1_000_000_000n),
      linkTarget,
    },
  };
}

/** The rebase name for a path: its basename, '.' for the root or for "dir/." (the contents). */
function rebaseName(path: string, name: string | undefined): string {
  if (path === '/' && name !== undefined) return name;
  const base = goBase(path);
  return base === '/' ? '.' : base;
}

async function getArchive(path: string, name: string | undefined): Promise<void> {
  const { stats, stat } = await statPath(path, name);
  // A trailing '/' or '/.' follows a final symlink, as lstat of such a path does.
  const content = path.endsWith('/') || path.endsWith('/.') ? await lstatOrMissing(path, true) : stats;
  reply({ stat });
  await pipeline(packPath(path, content, rebaseName(path, name)), process.stdout);
}

async function putArchive(request: Extract<ArchiveRequest, { op: 'put' }>): Promise<void> {
  // The destination's last symlink is followed too (docker lets one extract into a link to a directory).
  const destinationStats = await lstatOrMissing(request.path, true);
  if (!destinationStats.isDirectory()) throw new ArchiveFailure('not-a-directory', 'extraction point is not a directory');
  const destination = await resolveInRoot('/', request.path);
  const owner = request.chownToUser === undefined ? undefined : await resolveUser('/', request.chownToUser);
  await extractInto(readTar(process.stdin), destination, {
    noOverwriteDirNonDir: request.noOverwriteDirNonDir,
    owner: owner && { uid: owner.uid, gid: owner.gid },
    // Safe only because of the chroot: a symlink in the container resolves inside the rootfs.
    followSymlinks: true,
  });
  reply({ done: true });
}

async function main(): Promise<void> {
  const [root, rawRequest] = process.argv.slice(2);
  if (root === undefined || rawRequest === undefined) throw new Error('usage: archive-helper ROOTFS REQUEST');
  const request = JSON.parse(rawRequest) as ArchiveRequest;
  const path = absoluteContainerPath(request.path);
  enterRoot(root);
  if (request.op === 'stat') reply({ stat: (await statPath(path, request.name)).stat });
  else if (request.op === 'get') await getArchive(path, request.name);
  else await putArchive({ ...request, path });
}

main().catch((error: unknown) => {
  if (error instanceof ArchiveFailure) reply({ error: { kind: error.kind, message: error.message } });
  else if (error instanceof BerthError && error.kind === 'invalid-argument') reply({ error: { kind: 'invalid-argument', message: error.message } });
  else reply({ error: { kind: 'internal', message: error instanceof Error ? error.message : String(error) } });
  process.exitCode = 1;
});
