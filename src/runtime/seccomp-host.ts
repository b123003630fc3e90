import { readFile } from 'node:fs/promises';
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

export async function detectSeccompHost(): Promise<SeccompHost> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  return { available: /^Seccomp:/m.test(status), arch: nativeArch(arch()), kernel: kernelOf(release()) };
}
