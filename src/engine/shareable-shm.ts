import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mount, MNT_DETACH, umount2 } from '../sys/libc.js';

/** mount(2) flags of docker's /dev/shm: nosuid, nodev, noexec. */
const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;

/**
 * The /dev/shm of a container with --ipc shareable lives on the host, in the
 * container's directory, so that containers joining its IPC namespace
 * (--ipc container:NAME) can bind the same tmpfs: a container's own /dev/shm,
 * mounted inside its mount namespace, cannot be bound into another one.
 */
export function shareableShmPath(containerDir: string): string {
  return join(containerDir, 'shm');
}

/** Mounts the shareable /dev/shm of a container about to start (again: a stale mount is replaced). */
export async function mountShareableShm(containerDir: string, size: number): Promise<string> {
  const target = shareableShmPath(containerDir);
  await mkdir(target, { recursive: true });
  unmountShareableShm(containerDir);
  mount('shm', target, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${size}`);
  return target;
}

/** Unmounts it when the container stops; containers that joined keep their own bind of it. */
export function unmountShareableShm(containerDir: string): void {
  try {
    umount2(shareableShmPath(containerDir), MNT_DETACH);
  } catch {
    // not mounted: nothing to do
  }
}
