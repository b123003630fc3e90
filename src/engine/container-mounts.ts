/**
 * A container's user mounts at start: bind sources created as docker does, volumes
 * filled from the image (copy-up), and the OCI mounts that crun makes. berthd never
 * creates anything at a destination inside the root file system: the runtime resolves
 * destinations inside the root itself, so a symbolic link in the image cannot send a
 * mount point outside it.
 */
import { mkdir } from 'node:fs/promises';
import { errnoCode } from '../common/errors.js';
import type { SpecMount } from '../runtime/oci-spec.js';
import { copyUp } from '../volume/copy-up.js';
import type { MountPoint } from '../volume/mount-point.js';
import { DEFAULT_TMPFS_OPTIONS, mergeTmpfsOptions } from '../volume/tmpfs-options.js';
import type { VolumeStore } from '../volume/volume-store.js';
import { resolveInRoot } from './path-in-root.js';

/** The OCI mount of one mount point. */
export function specMount(mount: MountPoint): SpecMount {
  if (mount.Type === 'tmpfs') {
    return { destination: mount.Destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions([...DEFAULT_TMPFS_OPTIONS, ...(mount.TmpfsOptions ?? [])]) };
  }
  return {
    destination: mount.Destination,
    type: 'bind',
    source: mount.Source,
    options: ['rbind', mount.Propagation || 'rprivate', mount.RW ? 'rw' : 'ro'],
  };
}

/** Parents before children, as docker sorts mounts, so a volume at /etc does not hide the /etc/hosts bind. */
export function sortByDepth(mounts: readonly SpecMount[]): SpecMount[] {
  const depth = (path: string): number => path.split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.destination) - depth(b.destination));
}

/** The propagation the root needs so that shared or slave binds work as asked (docker's rule). */
export function rootfsPropagation(mounts: readonly MountPoint[]): string | undefined {
  const modes = new Set(mounts.filter((mount) => mount.Type === 'bind').map((mount) => mount.Propagation));
  if (modes.has('shared') || modes.has('rshared')) return 'shared';
  if (modes.has('slave') || modes.has('rslave')) return 'rslave';
  return undefined;
}

/** Readies the host side of every mount before the runtime runs: bind sources, volume content. */
export async function prepareMounts(mounts: readonly MountPoint[], rootfs: string, volumes: VolumeStore): Promise<void> {
  for (const mount of mounts) {
    if (mount.Type === 'bind' && mount.CreateSource) {
      try {
        await mkdir(mount.Source, { recursive: true, mode: 0o755 });
      } catch (error) {
        // An existing file is a file bind; docker ignores ENOTDIR the same way.
        if (errnoCode(error) !== 'EEXIST' && errnoCode(error) !== 'ENOTDIR') throw error;
      }
    }
    if (mount.Type === 'volume' && mount.CopyData) {
      await volumes.withVolume(mount.Name!, async (dataDir) => {
        await copyUp(await resolveInRoot(rootfs, mount.Destination), dataDir);
      });
    }
  }
}
