import { arch, release } from 'node:os';
import type { KernelVersion } from './seccomp-profile.js';
import { kernelOf, nativeArch } from './seccomp.js';

/** What seccomp profiles are resolved against on this host. */
export interface SeccompHost {
  /** Whether the kernel filters system calls at all (CONFIG_SECCOMP): /proc shows a Seccomp field then. */
  available: boolean;
  arch: string;
  kernel: KernelVersion;
}

/** `procStatus`: berthd's /proc/self/status. */
export function detectSeccompHost(procStatus: string): SeccompHost {
  return { available: /^Seccomp:/m.test(procStatus), arch: nativeArch(arch()), kernel: kernelOf(release()) };
}
