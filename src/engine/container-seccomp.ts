/**
 * Which system call filter a container runs under, with dockerd's rules: none when
 * privileged or `seccomp=unconfined`, the user's profile when given, else Docker's
 * default; each resolved against the container's capabilities and the host.
 */
import { invalidArgument } from '../common/errors.js';
import { DEFAULT_SECCOMP_PROFILE } from '../runtime/seccomp-default.js';
import type { SeccompHost } from '../runtime/seccomp-host.js';
import { decodeSeccompProfile } from '../runtime/seccomp-profile.js';
import { evaluateSeccompProfile, type OciSeccomp } from '../runtime/seccomp.js';
import type { HostConfig } from './container-record.js';
import { parseSecurityOpts } from './security-opts.js';

export function containerSeccomp(
  hostConfig: Pick<HostConfig, 'Privileged' | 'SecurityOpt'>,
  capabilities: readonly string[],
  host: SeccompHost,
): OciSeccomp | undefined {
  const { seccomp } = parseSecurityOpts(hostConfig.SecurityOpt);
  if (seccomp.kind === 'unconfined' || hostConfig.Privileged) return undefined;
  if (!host.available) {
    // As dockerd: the default quietly gives way on such a kernel, an explicit profile cannot.
    if (seccomp.kind === 'profile') throw invalidArgument('seccomp is not enabled in your kernel, cannot run a custom seccomp profile');
    return undefined;
  }
  const profile = seccomp.kind === 'profile' ? decodeSeccompProfile(seccomp.json) : DEFAULT_SECCOMP_PROFILE;
  return evaluateSeccompProfile(profile, { arch: host.arch, kernel: host.kernel, capabilities });
}
