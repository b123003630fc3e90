import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../common/errors.js';
import type { SpecDevice } from '../runtime/oci-spec.js';

/** docker's --device as the API carries it. */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

function deviceOf(path: string, info: { mode: number; rdev: number; uid: number; gid: number }, access: string): SpecDevice | undefined {
  const kind = info.mode & 0o170000;
  if (kind !== 0o020000 && kind !== 0o060000) return undefined;
  // Linux's encoding of dev_t (the kernel's new_encode_dev, as glibc's major()/minor() read it).
  const major = ((info.rdev >> 8) & 0xfff) | (Math.floor(info.rdev / 2 ** 32) & ~0xfff);
  const minor = (info.rdev & 0xff) | ((info.rdev >> 12) & 0xfff00);
  return { path, type: kind === 0o020000 ? 'c' : 'b', major, minor, fileMode: info.mode & 0o7777, uid: info.uid, gid: info.gid, access };
}

/**
 * The devices a container gets for its --device mappings, read from the host at
 * start as dockerd does: a device node (symlinks followed) is one device; a
 * directory gives every device node below it, at the same place under the
 * container path. Anything else is docker's error.
 */
export async function resolveDevices(mappings: DeviceMapping[]): Promise<SpecDevice[]> {
  const devices: SpecDevice[] = [];
  for (const mapping of mappings) {
    const hostPath = mapping.PathOnHost;
    const containerPath = mapping.PathInContainer || hostPath;
    const access = mapping.CgroupPermissions || 'rwm';
    const info = await stat(hostPath).catch((error: NodeJS.ErrnoException) => {
      throw invalidArgument(`error gathering device information while adding custom device "${hostPath}": ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`);
    });
    if (info.isDirectory()) {
      const entries = await readdir(hostPath, { recursive: true });
      for (const entry of entries.sort()) {
        const entryInfo = await lstat(join(hostPath, entry)).catch(() => undefined);
        const device = entryInfo && deviceOf(join(containerPath, entry), entryInfo, access);
        if (device) devices.push(device);
      }
      continue;
    }
    const device = deviceOf(containerPath, info, access);
    if (!device) throw invalidArgument(`error gathering device information while adding custom device "${hostPath}": not a device node`);
    devices.push(device);
  }
  return devices;
}

/** The numbers of a block device, for per-device I/O weights and limits; docker's error when the path is not one. */
export async function blockDeviceNumbers(path: string): Promise<{ major: number; minor: number }> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw invalidArgument(`stat ${path}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`);
  });
  const device = deviceOf(path, info, 'rwm');
  if (!device || device.type !== 'b') throw invalidArgument(`${path} is not a block device`);
  return { major: device.major, minor: device.minor };
}

/** Directories of /dev that hold no device a privileged container should get (as containerd's HostDevices skips them). */
const SKIPPED_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/**
 * Every device node of the host's /dev, which docker gives a --privileged
 * container: its /dev then looks like the host's (disks, loop devices, fuse, kvm).
 */
export async function hostDevices(root = '/dev'): Promise<SpecDevice[]> {
  const devices: SpecDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(dir === root && SKIPPED_DEV_DIRS.has(entry.name))) await walk(path);
        continue;
      }
      if (path === join(root, 'console') || (!entry.isCharacterDevice() && !entry.isBlockDevice())) continue;
      const info = await lstat(path).catch(() => undefined);
      const device = info && deviceOf(join('/dev', path.slice(root.length)), info, 'rwm');
      if (device) devices.push(device);
    }
  };
  await walk(root);
  return devices;
}
