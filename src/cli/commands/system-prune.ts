/** berth system prune [-a] [-f] [--volumes] [--filter]: stopped containers, anonymous volumes, then unused images. */
import { confirm } from '../confirm.js';
import type { DefineCommand } from '../context.js';
import { reclaimedLine, volumePruneOutcome, type VolumePruneReport } from '../format/prune.js';
import { pruneContainers, pruneFilters, pruneImages } from '../prune.js';
import { collect } from './shared.js';

/** berth has no user networks or build cache yet, so the warning names only what goes. */
function warning(all: boolean, volumes: boolean): string {
  const images = all ? 'all images without at least one container associated to them' : 'all dangling images';
  const volumeLine = volumes ? '  - all anonymous volumes not used by at least one container\n' : '';
  return `WARNING! This will remove:\n  - all stopped containers\n${volumeLine}  - ${images}\n`;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .usage('[OPTIONS]')
    .option('-a, --all', 'Remove all unused images not just dangling ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<key>=<value>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--volumes', 'Prune anonymous volumes')
    .action(async (opts: { all?: boolean; filter: string[]; force?: boolean; volumes?: boolean }) => {
      const filters = pruneFilters(opts.filter);
      if (!opts.force && !(await confirm(warning(opts.all === true, opts.volumes === true)))) return;
      const containers = await pruneContainers(ctx.client, opts.filter);
      process.stdout.write(containers.text);
      // As docker's: the anonymous ones only, whatever -a says (that is about images).
      const volumes = opts.volumes
        ? volumePruneOutcome(await ctx.client.json<VolumePruneReport>('POST', '/volumes/prune', { query: { filters } }))
        : { text: '', reclaimed: 0 };
      process.stdout.write(volumes.text);
      const images = await pruneImages(ctx.client, opts.filter, opts.all === true);
      process.stdout.write(images.text + reclaimedLine(containers.reclaimed + volumes.reclaimed + images.reclaimed));
    });
};
