import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { internal, invalidArgument } from '../common/errors.js';
import { mount, MNT_DETACH, umount2 } from '../sys/libc.js';

/** mount(2) copies at most one page of options, NUL included. */
export const maxMountOptionsLength = 4095;
/** overlayfs refuses more lower layers than this (OVL_MAX_STACK). */
export const maxLowerLayers = 500;

export interface OverlaySpec {
  /**
   * Lower directories, TOP layer first. Relative entries are resolved by the kernel
   * against `cwd`, which is how short link names keep the option string small.
   */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Directory the mount runs in; relative lower dirs are resolved against it. */
  cwd: string;
  /** Adds `index=off` (as Docker does where the kernel has the knob) so layer reuse never trips the inode index. */
  indexOff?: boolean;
}

export function overlayOptions(spec: OverlaySpec): string {
  if (spec.lowerDirs.length === 0) throw invalidArgument('an overlay mount needs at least one lower directory');
  if (spec.lowerDirs.length > maxLowerLayers) {
    throw invalidArgument(`too many layers: overlayfs stacks at most ${maxLowerLayers} lower layers, this image has ${spec.lowerDirs.length}`);
  }
  for (const path of [...spec.lowerDirs, spec.upperDir, spec.workDir]) {
    if (/[,:\\]/.test(path)) throw invalidArgument(`cannot use ${path} in overlay mount options: it contains ',', ':' or '\\'`);
  }
  const options = `lowerdir=${spec.lowerDirs.join(':')},upperdir=${spec.upperDir},workdir=${spec.workDir}${spec.indexOff === true ? ',index=off' : ''}`;
  if (options.length > maxMountOptionsLength) {
    throw invalidArgument(
      `too many layers: overlay mount options take ${options.length} bytes, more than the kernel's ${maxMountOptionsLength}-byte limit`,
    );
  }
  return options;
}

/** Whether the running kernel's overlayfs has the `index` feature (and so the `index=off` option). */
export async function overlayHasIndexOption(): Promise<boolean> {
  try {
    await access('/sys/module/overlay/parameters/index');
    return true;
  } catch {
    return false;
  }
}

/**
 * Mounts an overlay whose lowerdirs are relative to `spec.cwd`: the kernel resolves
 * them against the mounting process's working directory. The chdir, mount(2) and
 * chdir back are one synchronous stretch, so no other JavaScript runs meanwhile,
 * and berthd gives every other file operation an absolute path (the daemon makes
 * its roots absolute), so work on libuv's threads is not affected either.
 */
export async function mountOverlay(spec: OverlaySpec, target: string): Promise<void> {
  const options = overlayOptions(spec);
  const previous = process.cwd();
  try {
    process.chdir(spec.cwd);
    mount('overlay', target, 'overlay', 0, options);
  } catch (error) {
    throw internal(`mounting overlay on ${target} failed: ${(error as Error).message}`, error);
  } finally {
    process.chdir(previous);
  }
}

/**
 * Whether something is mounted on `path`: a mount point sits on another device than its
 * parent directory. Two stats, where reading /proc/self/mountinfo grew with every
 * running container's mount.
 */
export async function isMountpoint(path: string): Promise<boolean> {
  try {
    const [own, parent] = await Promise.all([stat(path), stat(dirname(path))]);
    return own.dev !== parent.dev || own.ino === parent.ino;
  } catch {
    return false;
  }
}

/** Unmounts `target` if mounted; when it is busy, detaches it lazily so removal can go on. */
export async function unmount(target: string): Promise<void> {
  while (await isMountpoint(target)) {
    try {
      umount2(target);
    } catch (error) {
      try {
        umount2(target, MNT_DETACH);
      } catch {
        throw internal(`unmounting ${target} failed: ${(error as Error).message}`, error);
      }
    }
  }
}
