/**
 * berth push / berth image push [OPTIONS] NAME[:TAG]: POST /images/{name}/push?tag= with the
 * registry's X-Registry-Auth, the daemon's progress on stdout (only the reference with -q).
 */
import { API_VERSION } from '../client.js';
import type { DefineCommand } from '../context.js';
import { CliError } from '../errors.js';
import { displayJsonMessages } from '../progress.js';
import { isNameOnly, parseNormalizedNamed, referenceName, referenceString, withDefaultTag } from '../../common/image-reference.js';
import { registryAuthHeader } from '../registry-auth.js';

interface PushFlags {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<name>')
    .usage('[OPTIONS] NAME[:TAG]')
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    // berth has no content trust: the flag is accepted so scripts written for docker run unchanged
    .option('--disable-content-trust', 'Skip image signing (default true)')
    .option(
      '--platform <string>',
      "Push a platform-specific manifest as a single-platform image to the registry (needs API 1.46; berth's is 1.44)",
    )
    .option('-q, --quiet', 'Suppress verbose output')
    .action(async (name: string, flags: PushFlags) => {
      // the API has a push platform only from 1.46 on: docker refuses the flag with an older daemon
      if (flags.platform) throw new CliError(`"--platform" requires API version 1.46, but the berth daemon API version is ${API_VERSION}`);
      let ref = parseNormalizedNamed(name);
      if (flags.allTags && !isNameOnly(ref)) throw new CliError("tag can't be used with --all-tags/-a");
      if (!flags.allTags && isNameOnly(ref)) {
        ref = withDefaultTag(ref);
        if (!flags.quiet) process.stdout.write(`Using default tag: ${ref.tag}\n`);
      }
      if (ref.digest !== undefined) throw new CliError('cannot push a digest reference');
      // the name goes into the path as is, slashes and port included, as docker's client sends it
      const res = await ctx.client.request('POST', `/images/${referenceName(ref)}/push`, {
        query: { tag: flags.allTags ? undefined : ref.tag },
        headers: { 'X-Registry-Auth': await registryAuthHeader(ctx.configDirFlag, ref.domain) },
      });
      await displayJsonMessages(res, flags.quiet ? null : process.stdout);
      if (flags.quiet) process.stdout.write(`${referenceString(ref)}\n`);
    });
};
