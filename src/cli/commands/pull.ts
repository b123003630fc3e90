/**
 * berth pull / berth image pull [OPTIONS] NAME[:TAG|@DIGEST]: POST /images/create?fromImage=&tag=
 * with the registry's X-Registry-Auth; the daemon's progress, then the full reference, on stdout.
 */
import type { DefineCommand } from '../context.js';
import { CliError } from '../errors.js';
import { pullImage } from '../pull.js';
import { isNameOnly, parseNormalizedNamed, referenceString, withDefaultTag } from '../../common/image-reference.js';

interface PullFlags {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<name>')
    .usage('[OPTIONS] NAME[:TAG|@DIGEST]')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    // berth has no content trust: the flag is accepted so scripts written for docker run unchanged
    .option('--disable-content-trust', 'Skip image verification (default true)')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (name: string, flags: PullFlags) => {
      let ref = parseNormalizedNamed(name);
      if (flags.allTags && !isNameOnly(ref)) throw new CliError("tag can't be used with --all-tags/-a");
      if (!flags.allTags && isNameOnly(ref)) {
        ref = withDefaultTag(ref);
        if (!flags.quiet) process.stdout.write(`Using default tag: ${ref.tag}\n`);
      }
      await pullImage(ctx, ref, { platform: flags.platform, allTags: flags.allTags ?? false }, flags.quiet ? null : process.stdout);
      process.stdout.write(`${referenceString(ref)}\n`);
    });
};
