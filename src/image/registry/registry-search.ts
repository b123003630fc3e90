import { invalidArgument } from '../../common/errors.js';
import { defaultDomain } from '../../common/image-reference.js';
import type { RegistryAccess } from './registry-access.js';
import { RegistryError } from './registry-errors.js';
import { readBody, sendRequest } from './registry-http.js';
import type { RegistryCredentials } from './registry-session.js';

/** One result of `GET /images/search`, in Docker's shape. */
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface SearchFilters {
  'is-official'?: string[];
  'is-automated'?: string[];
  stars?: string[];
}

const dockerHubSearch = 'https://index.docker.io';

/** `localhost:5000/busy` → that registry and `busy`; a bare term searches Docker Hub. */
function splitTerm(term: string): { domain: string; query: string } {
  const slash = term.indexOf('/');
  const first = slash === -1 ? '' : term.slice(0, slash);
  if (first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { domain: first === 'index.docker.io' || first === 'docker.io' ? defaultDomain : first, query: term.slice(slash + 1) };
  }
  return { domain: defaultDomain, query: term };
}

function booleanFilter(values: string[] | undefined, name: string): boolean | undefined {
  const value = values?.at(-1);
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidArgument(`invalid filter '${name}=${value}'`);
}

/** The test `is-official`, `is-automated` and `stars` make, as Docker reads them; a bad filter is refused here. */
export function searchFilter(filters: SearchFilters): (result: SearchResult) => boolean {
  for (const key of Object.keys(filters)) {
    if (key !== 'is-official' && key !== 'is-automated' && key !== 'stars') throw invalidArgument(`invalid filter '${key}'`);
  }
  const official = booleanFilter(filters['is-official'], 'is-official');
  const automated = booleanFilter(filters['is-automated'], 'is-automated');
  const starsText = filters.stars?.at(-1);
  const stars = starsText === undefined ? undefined : Number(starsText);
  if (stars !== undefined && !Number.isInteger(stars)) throw invalidArgument(`invalid filter 'stars=${starsText}'`);
  return (result) =>
    (official === undefined || result.is_official === official) &&
    (automated === undefined || result.is_automated === automated) &&
    (stars === undefined || result.star_count >= stars);
}

/**
 * `docker search`: Docker Hub's search API (`/v1/search`) for Docker Hub; for any other
 * registry (distribution registries have no search API, so Docker finds nothing there) the
 * repositories of its `/v2/_catalog` whose name contains the term.
 */
export async function searchRegistry(
  registries: RegistryAccess,
  term: string,
  options: { limit?: number; filters?: SearchFilters; credentials?: RegistryCredentials } = {},
): Promise<SearchResult[]> {
  const limit = options.limit ?? 25;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidArgument(`limit ${limit} is outside the range of [1, 100]`);
  // Checked before any request goes out.
  const wanted = searchFilter(options.filters ?? {});
  const { domain, query } = splitTerm(term);
  if (domain === defaultDomain) return (await searchDockerHub(query, limit)).filter(wanted).slice(0, limit);
  const client = registries.client(domain, options.credentials);
  let names: string[];
  try {
    names = await client.catalog(limit);
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
      throw new RegistryError(error.status, error.entries, `the registry ${domain} does not let these credentials list its repositories: ${error.message}`);
    }
    throw error;
  }
  const matches = names
    .filter((name) => name.includes(query))
    .map((name) => ({ name: `${domain}/${name}`, description: '', star_count: 0, is_official: false, is_automated: false }));
  return matches.filter(wanted).slice(0, limit);
}

async function searchDockerHub(query: string, limit: number): Promise<SearchResult[]> {
  const url = new URL('/v1/search', dockerHubSearch);
  url.searchParams.set('q', query);
  url.searchParams.set('n', String(limit));
  const answer = await sendRequest({ method: 'GET', url, skipVerify: false });
  const body = await readBody(answer, 8 * 1024 * 1024);
  if (answer.status !== 200) throw new RegistryError(answer.status, [], `unexpected status from GET request to ${url.href}: ${answer.status}`);
  const parsed = JSON.parse(body.toString('utf8')) as { results?: Array<Partial<SearchResult>> };
  return (parsed.results ?? []).map((result) => ({
    name: result.name ?? '',
    description: result.description ?? '',
    star_count: result.star_count ?? 0,
    is_official: result.is_official ?? false,
    is_automated: result.is_automated ?? false,
  }));
}
