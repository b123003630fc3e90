import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file.js';

/** crun takes a compiled filter through this annotation instead of compiling linux.seccomp. */
const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/** Distinct filters are few (one per capability set and user profile); a bound keeps a stray flood of profiles from filling /run. */
const MAX_ENTRIES = 256;

/**
 * Compiled seccomp filters, kept so that crun (1.8, which has no cache of its own)
 * does not compile the same profile at every container start: docker's default
 * takes libseccomp about 10 ms, a third of `crun run`. crun writes the filter it
 * compiled to `<state root>/<id>/seccomp.bpf`; the next container with the same
 * profile gets those bytes back through `run.oci.seccomp_bpf_data`.
 *
 * Entries are keyed by the profile and by the crun binary (path, inode, size,
 * mtime), so an upgraded crun compiles afresh. They live under the exec root, a
 * tmpfs, so a reboot (after a libseccomp upgrade, say) starts empty; a filter
 * compiled by an older libseccomp is still the same profile, only without
 * syscall names that libseccomp did not yet know, which an allowlist denies.
 */
export class SeccompBpfCache {
  private constructor(
    private readonly dir: string,
    private readonly runtimeIdentity: string,
    private readonly stateRoot: string,
  ) {}

  static async open(dir: string, runtimePath: string, stateRoot: string): Promise<SeccompBpfCache> {
    const binary = await stat(runtimePath);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new SeccompBpfCache(dir, `${runtimePath}\0${binary.ino}\0${binary.size}\0${binary.mtimeMs}`, stateRoot);
  }

  /**
   * Gives `spec` the compiled filter when one is kept for its profile. Otherwise
   * returns what to call once the runtime has created container `id`, to keep the
   * filter it compiled.
   */
  async prepare(spec: Record<string, unknown>, id: string): Promise<() => void> {
    const seccomp = (spec.linux as { seccomp?: unknown } | undefined)?.seccomp;
    if (seccomp === undefined) return () => {};
    const key = createHash('sha256').update(this.runtimeIdentity).update('\0').update(JSON.stringify(seccomp)).digest('hex');
    const entry = join(this.dir, key);
    const compiled = await readFile(entry).catch(() => undefined);
    if (compiled !== undefined && compiled.length > 0) {
      spec.annotations = { ...(spec.annotations as Record<string, string> | undefined), [BPF_ANNOTATION]: compiled.toString('base64') };
      return () => {};
    }
    return () => void this.keep(entry, join(this.stateRoot, id, 'seccomp.bpf'));
  }

  private async keep(entry: string, compiledFile: string): Promise<void> {
    try {
      if ((await readdir(this.dir)).length >= MAX_ENTRIES) return;
      const compiled = await readFile(compiledFile);
      if (compiled.length > 0) await writeFileAtomic(entry, compiled);
    } catch {
      // A filter not kept is compiled again next time; nothing depends on the cache.
    }
  }
}
