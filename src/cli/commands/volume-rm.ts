/** berth volume rm [-f] VOLUME... */
import type { DefineCommand } from '../context.js';
import { forEachName } from './shared.js';

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<volume...>')
    .usage('[OPTIONS] VOLUME [VOLUME...]')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], opts: { force?: boolean }) => {
      await forEachName(names, async (name) => {
        await ctx.client.call('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: opts.force ? true : undefined } });
        return name;
      });
    });
};
