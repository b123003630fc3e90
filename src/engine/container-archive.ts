import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { stat } from 'node:fs/promises';
import { goBase, type ContainerPathStat } from '../common/container-path-stat.js';
import { BerthError, internal, invalidArgument, notFound } from '../common/errors.js';
import type { ImageService } from '../image/images.js';
import type { MountPoint } from '../volume/mount-point.js';
import type { ArchiveReply, ArchiveRequest } from './archive-helper.js';
import { mountTarget } from './archive-mount-target.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerService } from './container-service.js';
import type { ArchivePutOptions, ContainerArchiveApi } from './types.js';

const HELPER = fileURLToPath(new URL('./archive-helper.js', import.meta.url));

/**
 * `docker cp`: stat, read and write paths of a container, running or stopped. Every access to
 * the container's files happens in a helper process chrooted into the rootfs (archive-helper.ts
 * says why), so a symlink in the container can never make berthd read or write a host file.
 * A stopped container's rootfs is mounted for the copy and unmounted after the last one ends.
 */
export class ContainerArchive implements ContainerArchiveApi {
  /** Copies in progress per container, so that one ending does not unmount under another. */
  private readonly users = new Map<string, number>();

  constructor(
    private readonly containers: ContainerService,
    private readonly images: ImageService,
  ) {}

  async stat(ref: string, path: string): Promise<ContainerPathStat> {
    const record = this.containers.find(ref);
    checkPath(path);
    const rootfs = await this.acquire(record);
    try {
      const { root, within, name } = await locate(record, rootfs, path);
      const helper = this.spawnHelper(root, { op: 'stat', path: within, ...name }, false);
      const answer = await firstReply(helper);
      return expectStat(answer, ref, path);
    } finally {
      await this.release(record);
    }
  }

  /**
   * A path of the container as a tar stream. `released` settles once the helper has exited
   * and a stopped container's rootfs is unmounted again: the API ends its answer only then,
   * so a client never sees the copy finished while the mount is still there.
   */
  async get(ref: string, path: string): Promise<{ stat: ContainerPathStat; tar: Readable; released: Promise<void> }> {
    const record = this.containers.find(ref);
    checkPath(path);
    const rootfs = await this.acquire(record);
    let helper: ChildProcess | undefined;
    try {
      const { root, within, name } = await locate(record, rootfs, path);
      helper = this.spawnHelper(root, { op: 'get', path: within, ...name }, false);
      const stat = expectStat(await firstReply(helper), ref, path);
      const tar = helper.stdout!;
      const running = helper;
      const released = new Promise<void>((resolveRelease) => {
        running.once('close', (code) => {
          if (code !== 0 && !tar.destroyed) tar.destroy(internal(`copying ${path} from the container failed`));
          void this.release(record).finally(resolveRelease);
        });
      });
      tar.once('close', () => {
        if (running.exitCode === null) running.kill();
      });
      this.containers.publish('archive-path', record);
      return { stat, tar, released };
    } catch (error) {
      helper?.kill();
      await this.release(record);
      throw error;
    }
  }

  async put(ref: string, path: string, tar: Readable, options: ArchivePutOptions): Promise<void> {
    const record = this.containers.find(ref);
    checkPath(path);
    const rootfs = await this.acquire(record);
    try {
      const { root, within, mount } = await locate(record, rootfs, path);
      if (mount && !mount.RW) throw invalidArgument('mounted volume is marked read-only');
      const request: ArchiveRequest = {
        op: 'put',
        path: within,
        noOverwriteDirNonDir: options.noOverwriteDirNonDir,
        chownToUser: options.copyUIDGID ? record.Config.User : undefined,
      };
      const helper = this.spawnHelper(root, request, true);
      // The helper may answer (an error) before reading all of the upload: stop feeding it then.
      helper.stdin!.on('error', () => {});
      tar.pipe(helper.stdin!);
      const answer = await firstReply(helper);
      tar.unpipe(helper.stdin!);
      if ('error' in answer) throw replyError(answer.error, ref, path);
      this.containers.publish('extract-to-dir', record);
    } finally {
      await this.release(record);
    }
  }

  private spawnHelper(root: string, request: ArchiveRequest, withInput: boolean): ChildProcess {
    const helper = spawn(process.execPath, [HELPER, root, JSON.stringify(request)], {
      stdio: [withInput ? 'pipe' : 'ignore', request.op === 'get' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Nothing from berthd's environment: NODE_EXTRA_CA_CERTS, for one, would be read after the chroot.
      env: {},
    });
    let errors = '';
    helper.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (errors.length < 4096) errors += text;
    });
    helper.once('close', (code) => {
      if (code !== 0 && errors.trim()) console.error(`berthd: archive helper for ${request.op} ${request.path}: ${errors.trim()}`);
    });
    return helper;
  }

  private async acquire(record: ContainerRecord): Promise<string> {
    this.users.set(record.Id, (this.users.get(record.Id) ?? 0) + 1);
    try {
      return await this.images.prepareRootfs(record.Id, record.Image);
    } catch (error) {
      await this.release(record);
      throw error;
    }
  }

  private async release(record: ContainerRecord): Promise<void> {
    const remaining = (this.users.get(record.Id) ?? 1) - 1;
    if (remaining > 0) {
      this.users.set(record.Id, remaining);
      return;
    }
    this.users.delete(record.Id);
    if (!record.State.Running) await this.images.unmountRootfs(record.Id).catch(() => {});
  }
}

/**
 * Where the helper must go for a container path: the rootfs, or the host side of
 * the bind or volume that holds the path (see mountTarget). File binds stay with
 * the rootfs: a chroot needs a directory.
 */
async function locate(record: ContainerRecord, rootfs: string, path: string): Promise<{ root: string; within: string; name?: { name: string }; mount?: MountPoint }> {
  const target = mountTarget(record.MountPoints ?? [], path);
  if (!target || !(await isDirectory(target.mount.Source))) return { root: rootfs, within: path };
  const atMountPoint = target.path === '/';
  return { root: target.mount.Source, within: target.path, mount: target.mount, ...(atMountPoint ? { name: { name: goBase(target.mount.Destination) } } : {}) };
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

function checkPath(path: string): void {
  if (path === '') throw invalidArgument('Path cannot be empty');
  if (path.includes('\0')) throw invalidArgument('Path cannot contain a NUL byte');
}

/** The helper's first line on fd 3, or an error if it ended without one. */
function firstReply(helper: ChildProcess): Promise<ArchiveReply> {
  return new Promise((resolve, reject) => {
    const channel = helper.stdio[3] as Readable;
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      channel.off('data', onData);
      channel.resume();
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as ArchiveReply);
      } catch (error) {
        reject(internal('the archive helper answered garbage', error));
      }
    };
    channel.on('data', onData);
    helper.once('error', reject);
    helper.once('close', (code, signal) => reject(internal(`the archive helper ended (${signal ?? code}) without an answer`)));
  });
}

function expectStat(answer: ArchiveReply, ref: string, path: string): ContainerPathStat {
  if ('error' in answer) throw replyError(answer.error, ref, path);
  if (!('stat' in answer)) throw internal('the archive helper answered without a stat');
  return answer.stat;
}

function replyError(error: Extract<ArchiveReply, { error: unknown }>['error'], ref: string, path: string): BerthError {
  switch (error.kind) {
    case 'missing':
      return notFound(`Could not find the file ${path} in container ${ref}`);
    case 'not-a-directory':
    case 'invalid-argument':
      return invalidArgument(error.message);
    case 'internal':
      return internal(error.message);
  }
}
