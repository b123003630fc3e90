/** berth volume ls [-q] [--filter] [--format] */
import type { DefineCommand } from '../context.js';
import { FlagError } from '../errors.js';
import { renderList } from '../format/formatter.js';
import { type VolumeSummary, volumeRows, volumesFormat } from '../format/volumes.js';
import { collect, encodeFilters } from './shared.js';

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .usage('[OPTIONS]')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", collect, [])
    .option('--format <string>', "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('-q, --quiet', 'Only display volume names')
    .action(async (opts: { filter: string[]; format?: string; quiet?: boolean }) => {
      let filters: string | undefined;
      try {
        filters = encodeFilters(opts.filter);
      } catch (error) {
        throw new FlagError((error as Error).message);
      }
      const answer = await ctx.client.json<{ Volumes: VolumeSummary[] | null }>('GET', '/volumes', { query: { filters } });
      const format = opts.quiet && !opts.format ? '{{.Name}}' : opts.format;
      process.stdout.write(renderList(volumesFormat(format), volumeRows(answer.Volumes ?? [])));
    });
};
