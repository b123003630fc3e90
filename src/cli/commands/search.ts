/**
 * berth search [OPTIONS] TERM: GET /images/search?term=&limit=&filters=, done by the daemon at the
 * registry the term names (Docker Hub unless it starts with a registry host), with that registry's
 * X-Registry-Auth.
 */
import type { DefineCommand } from '../context.js';
import { invalidFlagValue } from '../errors.js';
import { renderList } from '../format/formatter.js';
import { searchFormat, searchRows, type SearchResult } from '../format/search.js';
import { parseIntFlag } from '../opts/parse.js';
import { defaultDomain } from '../../common/image-reference.js';
import { registryAuthHeader } from '../registry-auth.js';
import { collect, encodeFilters } from './shared.js';

interface SearchFlags {
  filter: string[];
  format?: string;
  limit?: string;
  trunc?: boolean;
}

/** The registry a search term names: `localhost:5000/busybox` -> `localhost:5000`, `busybox` -> Docker Hub. */
function searchRegistry(term: string): string {
  const slash = term.indexOf('/');
  const first = term.slice(0, slash);
  return slash >= 0 && (/[.:]/.test(first) || first === 'localhost') ? first : defaultDomain;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<term>')
    .usage('[OPTIONS] TERM')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Pretty-print search using a Go template')
    .option('--limit <int>', 'Max number of search results')
    .option('--no-trunc', "Don't truncate output")
    .action(async (term: string, flags: SearchFlags) => {
      const limit = flags.limit === undefined ? 0 : parseIntFlag(flags.limit, '--limit');
      let filters: string | undefined;
      try {
        filters = encodeFilters(flags.filter);
      } catch (error) {
        throw invalidFlagValue(flags.filter.find((f) => f.indexOf('=') <= 0) ?? '', '-f, --filter', (error as Error).message);
      }
      const results = await ctx.client.json<SearchResult[]>('GET', '/images/search', {
        // docker leaves the limit out unless it is set
        query: { term, limit: limit > 0 ? limit : undefined, filters },
        headers: { 'X-Registry-Auth': await registryAuthHeader(ctx.configDirFlag, searchRegistry(term)) },
      });
      process.stdout.write(renderList(searchFormat(flags.format), searchRows(results ?? [], flags.trunc !== false)));
    });
};
