import { readFile } from 'node:fs/promises';
import { pathExists } from '../common/path-exists.js';
import type { CgroupLayout } from './cgroup-layout.js';

/** What the host offers, read once by the daemon. */
export interface HostFacts {
  /** Online CPUs and memory nodes in the kernel's list form ("0-1"). */
  onlineCpus: string;
  onlineMems: string;
  /** cgroup v1 has memory.swappiness; v2 has no such knob. */
  swappiness: boolean;
  /** A block I/O weight file exists (blkio.weight or blkio.bfq.weight; v2's io controller). */
  blkioWeight: boolean;
  /** Per-device read/write limits exist (blkio.throttle.*; v2's io controller). */
  blkioThrottle: boolean;
}

async function readTrimmed(path: string, fallback: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim() || fallback;
  } catch {
    return fallback;
  }
}

/**
 * What the host offers containers beyond the cgroup layout: its online CPUs and
 * memory nodes (a host without NUMA has no node directory: node 0 alone), and
 * the cgroup knobs docker checks before it applies swappiness or an I/O weight.
 */
export async function readHostFacts(layout: CgroupLayout, root = '/sys/fs/cgroup', sysDevices = '/sys/devices/system'): Promise<HostFacts> {
  const [onlineCpus, onlineMems] = await Promise.all([
    readTrimmed(`${sysDevices}/cpu/online`, '0'),
    readTrimmed(`${sysDevices}/node/online`, '0'),
  ]);
  if (layout.version === 2) {
    const controllers = (await readTrimmed(`${root}/cgroup.controllers`, '')).split(/\s+/);
    const io = controllers.includes('io');
    return { onlineCpus, onlineMems, swappiness: false, blkioWeight: io, blkioThrottle: io };
  }
  const [swappiness, weight, bfqWeight, blkioThrottle] = await Promise.all([
    pathExists(`${root}/memory/memory.swappiness`),
    pathExists(`${root}/blkio/blkio.weight`),
    pathExists(`${root}/blkio/blkio.bfq.weight`),
    pathExists(`${root}/blkio/blkio.throttle.read_bps_device`),
  ]);
  return { onlineCpus, onlineMems, swappiness, blkioWeight: weight || bfqWeight, blkioThrottle };
}
