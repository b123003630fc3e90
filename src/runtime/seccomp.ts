/**
 * Resolves a seccomp profile in Docker's format into the OCI `linux.seccomp` of one
 * container, as dockerd does: a rule is kept when the container's capabilities, the
 * host's architecture and the host's kernel meet its includes and miss its excludes.
 * Pure: the host is an argument, so every rule is unit-tested.
 */
import { invalidArgument } from '../common/errors.js';
import type { KernelVersion, SeccompFilter, SeccompProfile } from './seccomp-profile.js';

export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSeccompSyscall[];
}

export interface SeccompTarget {
  /** libseccomp's native name of the host architecture (amd64, arm64, ...), as `arches` spell it. */
  arch: string;
  kernel: KernelVersion;
  /** The container's bounding capability set (CAP_...). */
  capabilities: readonly string[];
}

/** libseccomp's native architecture names for Node's `os.arch()`. */
const NATIVE_ARCH: Record<string, string> = {
  x64: 'amd64', ia32: 'x86', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
  mips64el: 'mipsel64', mipsel: 'mipsel',
};

const SECCOMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', x86: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64',
  mipsel64: 'SCMP_ARCH_MIPSEL64', mipsel: 'SCMP_ARCH_MIPSEL',
};

export function nativeArch(nodeArch: string): string {
  return NATIVE_ARCH[nodeArch] ?? nodeArch;
}

/** The "<kernel>.<major>" of a release string such as "6.1.0-18-amd64". */
export function kernelOf(release: string): KernelVersion {
  const [kernel = 0, major = 0] = release.split(/[.-]/, 2).map((part) => Number.parseInt(part, 10) || 0);
  return { kernel, major };
}

function atLeast(have: KernelVersion, want: KernelVersion): boolean {
  return have.kernel !== want.kernel ? have.kernel > want.kernel : have.major >= want.major;
}

function included(filter: SeccompFilter | undefined, target: SeccompTarget): boolean {
  if (!filter) return true;
  if (filter.arches?.length && !filter.arches.includes(target.arch)) return false;
  if (filter.caps?.length && !filter.caps.every((cap) => target.capabilities.includes(cap))) return false;
  if (filter.minKernel && !atLeast(target.kernel, filter.minKernel)) return false;
  return true;
}

function excluded(filter: SeccompFilter | undefined, target: SeccompTarget): boolean {
  if (!filter) return false;
  if (filter.arches?.includes(target.arch)) return true;
  if (filter.caps?.some((cap) => target.capabilities.includes(cap))) return true;
  if (filter.minKernel && atLeast(target.kernel, filter.minKernel)) return true;
  return false;
}

/**
 * The OCI seccomp section for a container, or undefined when the profile asks for
 * none (no default action and no rules, as dockerd reads an empty profile).
 */
export function evaluateSeccompProfile(profile: SeccompProfile, target: SeccompTarget): OciSeccomp | undefined {
  if (!profile.defaultAction && !profile.syscalls?.length) return undefined;
  if (profile.architectures?.length && profile.archMap?.length) {
    throw invalidArgument("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  // Without architectures libseccomp filters the native one only.
  let architectures = profile.architectures?.length ? [...profile.architectures] : undefined;
  const native = SECCOMP_ARCH[target.arch];
  const mapped = native ? profile.archMap?.find((entry) => entry.architecture === native) : undefined;
  if (mapped) architectures = [mapped.architecture, ...mapped.subArchitectures];

  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (excluded(rule.excludes, target) || !included(rule.includes, target)) continue;
    if (rule.name && rule.names?.length) {
      throw invalidArgument("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    }
    syscalls.push({
      names: rule.name ? [rule.name] : [...(rule.names ?? [])],
      action: rule.action,
      ...(rule.errnoRet === undefined ? {} : { errnoRet: rule.errnoRet }),
      ...(rule.args?.length ? { args: rule.args.map((arg) => ({ ...arg })) } : {}),
    });
  }
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet === undefined ? {} : { defaultErrnoRet: profile.defaultErrnoRet }),
    ...(architectures ? { architectures } : {}),
    ...(profile.flags?.length ? { flags: [...profile.flags] } : {}),
    ...(profile.listenerPath ? { listenerPath: profile.listenerPath } : {}),
    ...(profile.listenerMetadata ? { listenerMetadata: profile.listenerMetadata } : {}),
    ...(syscalls.length ? { syscalls } : {}),
  };
}
