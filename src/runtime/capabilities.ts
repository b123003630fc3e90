import { invalidArgument } from '../common/errors.js';

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every capability the kernel headers of Linux 6.x know, for --privileged and ALL. */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

function normalize(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return upper;
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw invalidArgument(`invalid capability: ${name}`);
  return full;
}

/**
 * The capabilities a process can hand on: those in its bounding set, from the
 * `CapBnd:` line of /proc/<pid>/status.
 */
export function boundingSetOf(procStatus: string): string[] {
  const mask = /^CapBnd:\s*([0-9a-f]+)$/m.exec(procStatus)?.[1];
  if (mask === undefined) return [...ALL_CAPABILITIES];
  const bits = BigInt(`0x${mask}`);
  return ALL_CAPABILITIES.filter((_, bit) => ((bits >> BigInt(bit)) & 1n) === 1n);
}

/**
 * The effective capability list for a container, with docker's rules: start from
 * the defaults (or everything when privileged), drop then add, where ALL in either
 * list means every capability. "Every capability" is every one the host can grant
 * (berthd's bounding set): Docker asks for all the kernel knows, so on a host that
 * withholds one (CAP_SYS_RESOURCE here, or any nested engine) no privileged
 * container starts at all. Naming a capability the host cannot grant is an error.
 */
export function effectiveCapabilities(options: { privileged: boolean; add: string[]; drop: string[]; grantable: readonly string[] }): string[] {
  const everything = ALL_CAPABILITIES.filter((cap) => options.grantable.includes(cap));
  if (options.privileged) return everything;
  const add = options.add.map(normalize);
  const drop = options.drop.map(normalize);
  const withheld = add.find((cap) => cap !== 'ALL' && !options.grantable.includes(cap));
  if (withheld !== undefined) {
    throw invalidArgument(`cannot add capability ${withheld}: the host withholds it (it is not in berthd's capability bounding set)`);
  }
  let result = new Set<string>(DEFAULT_CAPABILITIES.filter((cap) => options.grantable.includes(cap)));
  if (drop.includes('ALL')) result = new Set();
  for (const cap of drop) result.delete(cap);
  if (add.includes('ALL')) return everything.filter((cap) => !drop.includes(cap));
  for (const cap of add) result.add(cap);
  return [...result];
}
