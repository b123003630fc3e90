/**
 * tmpfs mount options: docker's defaults, the user's options merged over them the way
 * moby's MergeTmpfsOptions does (a later flag replaces its opposite, a later key=value
 * its earlier value), and the API's TmpfsOptions turned into option strings.
 */
import { invalidArgument } from '../common/errors.js';

/** Each flag and the mount attribute it sets or clears; flags of one attribute replace each other. */
const FLAG_ATTRIBUTE: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev',
  exec: 'noexec', noexec: 'noexec', sync: 'sync', async: 'sync', dirsync: 'dirsync', mand: 'mand', nomand: 'mand',
  atime: 'noatime', noatime: 'noatime', diratime: 'nodiratime', nodiratime: 'nodiratime',
  relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime', nostrictatime: 'strictatime',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
};

/** Checks of the tmpfs data options docker passes on; berth checks values too, so a typo fails at create, not at start. */
const DATA_VALUE: Record<string, RegExp> = {
  size: /^\d+[kmgtpe%]?$/i,
  mode: /^[0-7]{1,4}$/,
  uid: /^\d+$/,
  gid: /^\d+$/,
  nr_inodes: /^\d+[kmgtpe%]?$/i,
  nr_blocks: /^\d+[kmgtpe%]?$/i,
  mpol: /^.+$/,
};

/** docker's options for every tmpfs it mounts, before the user's. */
export const DEFAULT_TMPFS_OPTIONS: readonly string[] = ['noexec', 'nosuid', 'nodev', 'rprivate'];

/** Splits and checks the options of `--tmpfs /path:OPTIONS` (HostConfig.Tmpfs values). */
export function parseTmpfsOptions(text: string): string[] {
  const options = text === '' ? [] : text.split(',');
  mergeTmpfsOptions(options);
  return options;
}

/** The options after merging, later ones winning; throws for an unknown option or a bad value. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const option of [...options].reverse()) {
    if (option === 'defaults') continue;
    const attribute = FLAG_ATTRIBUTE[option];
    const equals = option.indexOf('=');
    const key = attribute === undefined ? option.slice(0, equals) : `flag:${attribute}`;
    if (attribute === undefined) {
      const check = equals < 0 ? undefined : DATA_VALUE[key];
      if (check === undefined || !check.test(option.slice(equals + 1))) throw invalidArgument(`Invalid tmpfs option "${option}"`);
    }
    if (seen.has(key)) continue;
    seen.add(key);
    merged.unshift(option);
  }
  return merged;
}

/** moby's ConvertTmpfsOptions: the API's byte size in the largest unit that divides it, the mode in octal. */
export function tmpfsOptionsFromApi(options: { SizeBytes?: number; Mode?: number } | undefined, readOnly: boolean): string[] {
  const result: string[] = [];
  const sizeBytes = options?.SizeBytes ?? 0;
  if (sizeBytes < 0) throw invalidArgument(`invalid tmpfs size: ${sizeBytes}`);
  if (sizeBytes > 0) {
    let size = sizeBytes;
    let suffix = '';
    for (const unit of ['k', 'm', 'g']) {
      if (size % 1024 !== 0) break;
      size /= 1024;
      suffix = unit;
    }
    result.push(`size=${size}${suffix}`);
  }
  const mode = options?.Mode ?? 0;
  if (mode !== 0) result.push(`mode=${(mode & 0o7777).toString(8)}`);
  if (readOnly) result.push('ro');
  return result;
}
