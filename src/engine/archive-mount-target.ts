import { posix } from 'node:path';
import { absoluteContainerPath } from '../common/container-path-stat.js';
import type { MountPoint } from '../volume/mount-point.js';

/** Where `docker cp` must look for a container path that lies in one of its binds or volumes. */
export interface MountTarget {
  mount: MountPoint;
  /** The path inside the mount's source, absolute, with the trailing `/` or `/.` the user wrote. */
  path: string;
}

/**
 * The bind or volume holding `path`, if any: the deepest mount whose destination is
 * the path or one of its parents. Those mounts exist only in the container's own
 * mount namespace, so the copy must go to the mount's source on the host instead of
 * the rootfs below it (as podman does). tmpfs mounts have no host side and are not
 * followed.
 */
export function mountTarget(mounts: readonly MountPoint[], path: string): MountTarget | undefined {
  const absolute = absoluteContainerPath(path);
  const cleaned = posix.normalize(absolute);
  const trimmed = cleaned.length > 1 ? cleaned.replace(/\/(\.)?$/, '') : cleaned;
  let best: { mount: MountPoint; destination: string } | undefined;
  for (const mount of mounts) {
    if (mount.Type === 'tmpfs') continue;
    const destination = posix.normalize(mount.Destination).replace(/(.)\/$/, '$1');
    const inside = trimmed === destination || trimmed.startsWith(destination === '/' ? '/' : `${destination}/`);
    if (inside && (!best || destination.length > best.destination.length)) best = { mount, destination };
  }
  if (!best) return undefined;
  const rest = trimmed.slice(best.destination === '/' ? 0 : best.destination.length) || '/';
  const suffix = absolute.endsWith('/.') ? '/.' : absolute.endsWith('/') && rest !== '/' ? '/' : '';
  return { mount: best.mount, path: rest === '/' && suffix === '/.' ? '/.' : `${rest}${suffix}` };
}
