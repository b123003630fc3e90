/** berth volume prune [-a] [-f] [--filter label=] */
import { confirm } from '../confirm.js';
import type { DefineCommand } from '../context.js';
import { reclaimedLine, volumePruneOutcome, type VolumePruneReport } from '../format/prune.js';
import { pruneFilters } from '../prune.js';
import { collect } from './shared.js';

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .usage('[OPTIONS]')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'Provide filter values (e.g. "label=<label>")', collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (opts: { all?: boolean; filter: string[]; force?: boolean }) => {
      const filters = pruneFilters(opts.all ? [...opts.filter, 'all=true'] : opts.filter);
      const warning = opts.all
        ? 'WARNING! This will remove all local volumes not used by at least one container.'
        : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
      if (!opts.force && !(await confirm(warning))) return;
      const outcome = volumePruneOutcome(await ctx.client.json<VolumePruneReport>('POST', '/volumes/prune', { query: { filters } }));
      process.stdout.write(outcome.text + reclaimedLine(outcome.reclaimed));
    });
};
