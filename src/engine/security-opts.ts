/**
 * HostConfig.SecurityOpt as dockerd reads it: `seccomp=builtin|unconfined|<profile JSON>`
 * (the docker CLI has already replaced a file name by the file's content),
 * `no-new-privileges[=bool]`, and the SELinux `label=` and AppArmor `apparmor=` options,
 * which berth accepts and does not apply, as dockerd on a host without those modules.
 */
import { invalidArgument } from '../common/errors.js';

export type SeccompChoice = { kind: 'builtin' } | { kind: 'unconfined' } | { kind: 'profile'; json: string };

export interface SecurityOptions {
  seccomp: SeccompChoice;
  noNewPrivileges: boolean;
}

/** Go's strconv.ParseBool, which dockerd uses for no-new-privileges=VALUE. */
const BOOLEANS: Record<string, boolean> = {
  1: true, t: true, T: true, true: true, TRUE: true, True: true,
  0: false, f: false, F: false, false: false, FALSE: false, False: false,
};

function seccompChoice(value: string): SeccompChoice {
  if (value === '' || value === 'builtin') return { kind: 'builtin' };
  if (value === 'unconfined') return { kind: 'unconfined' };
  return { kind: 'profile', json: value };
}

export function parseSecurityOpts(options: unknown): SecurityOptions {
  const result: SecurityOptions = { seccomp: { kind: 'builtin' }, noNewPrivileges: false };
  if (options === null || options === undefined) return result;
  if (!Array.isArray(options) || options.some((option) => typeof option !== 'string')) {
    throw invalidArgument('HostConfig.SecurityOpt must be a list of strings');
  }
  for (const option of options as string[]) {
    if (option === 'no-new-privileges') {
      result.noNewPrivileges = true;
      continue;
    }
    if (option === 'disable') continue; // label disabling, in its short form
    // "key:value" is the spelling docker deprecated for "key=value" and still reads.
    const separator = option.includes('=') ? '=' : ':';
    const at = option.indexOf(separator);
    if (at < 0) throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(option)}`);
    const key = option.slice(0, at);
    const value = option.slice(at + 1);
    switch (key) {
      case 'label':
      case 'apparmor':
        break;
      case 'seccomp':
        result.seccomp = seccompChoice(value);
        break;
      case 'no-new-privileges': {
        const enabled = BOOLEANS[value];
        if (enabled === undefined) throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(option)}`);
        result.noNewPrivileges = enabled;
        break;
      }
      default:
        throw invalidArgument(`invalid --security-opt 2: ${JSON.stringify(option)}`);
    }
  }
  return result;
}
