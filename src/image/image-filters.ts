import { hasAllLabels } from '../common/label-filter.js';
import { invalidArgument } from '../common/errors.js';
import { createdSeconds } from './image-views.js';
import type { StoredImage } from './image-store.js';
import { parseGoDuration } from './changes.js';
import { pathMatch } from './path-match.js';
import { type ImageReference, familiarName, familiarString } from '../common/image-reference.js';

/** `docker images --filter` keys, with their values as the API passes them. */
export type ImageFilters = Record<string, string[]>;

const acceptedFilters = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

export interface ListCandidate {
  image: StoredImage;
  references: ImageReference[];
  /** Whether another image names this one as its parent (built intermediates are hidden unless `all`). */
  hasChildren: boolean;
}

export interface ListedImage {
  image: StoredImage;
  repoTags: string[];
  repoDigests: string[];
}

/** Images that `before`/`since` name, resolved by the caller (they are image references). */
export interface ResolvedBounds {
  before?: StoredImage;
  since?: StoredImage;
}

export function validateImageFilters(filters: ImageFilters): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!acceptedFilters.has(key)) throw invalidArgument(`invalid filter '${key}'`);
    if (key === 'dangling') danglingValue(values);
    if (key === 'reference') for (const pattern of values) pathMatch(pattern, '');
  }
}

/** The `dangling` filter's one boolean, or undefined when not given; conflicting values are refused. */
export function danglingValue(values: readonly string[] | undefined): boolean | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const parsed = new Set(
    values.map((value) => {
      const lower = value.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      throw invalidArgument(`invalid filter 'dangling=${value}'`);
    }),
  );
  if (parsed.size > 1) throw invalidArgument("invalid filter 'dangling': conflicting values");
  return parsed.has(true);
}

/** Docker's timestamp forms for `until`: a Go duration before now, Unix seconds, or a date. */
export function parseTimestamp(value: string, now: number): number {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$/.test(value)) return now - parseGoDuration(value) / 1e6;
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return parsed;
}

function referenceMatches(patterns: readonly string[], reference: ImageReference): boolean {
  return patterns.some((pattern) => pathMatch(pattern, familiarString(reference)) || pathMatch(pattern, familiarName(reference)));
}

function createdMillis(image: StoredImage): number {
  const created = image.config.created === undefined ? Number.NaN : Date.parse(image.config.created);
  return Number.isNaN(created) ? createdSeconds(image) * 1000 : created;
}

/**
 * Selects and labels images as `GET /images/json` does: with a `reference` filter
 * only matching tags are listed; untagged images show as `<none>:<none>` (hidden
 * when they are intermediate parents, unless `all`).
 */
export function selectImages(
  candidates: readonly ListCandidate[],
  filters: ImageFilters,
  options: { all?: boolean; bounds?: ResolvedBounds; now?: number } = {},
): ListedImage[] {
  validateImageFilters(filters);
  const danglingOnly = danglingValue(filters.dangling) === true;
  const hasDanglingFilter = filters.dangling !== undefined && filters.dangling.length > 0;
  const patterns = filters.reference ?? [];
  const untilValues = filters.until ?? [];
  const until = untilValues.length === 0 ? undefined : parseTimestamp(untilValues.at(-1)!, options.now ?? Date.now());
  const before = options.bounds?.before === undefined ? undefined : createdMillis(options.bounds.before);
  const since = options.bounds?.since === undefined ? undefined : createdMillis(options.bounds.since);
  const listed: ListedImage[] = [];
  for (const candidate of candidates) {
    const { image } = candidate;
    const created = createdMillis(image);
    if (before !== undefined && !(created < before)) continue;
    if (since !== undefined && !(created > since)) continue;
    if (until !== undefined && !(created < until)) continue;
    if (filters.label !== undefined && !hasAllLabels(image.config.config?.Labels ?? {}, filters.label)) continue;
    const shown = patterns.length === 0 ? candidate.references : candidate.references.filter((reference) => referenceMatches(patterns, reference));
    const repoTags = shown.filter((reference) => reference.tag !== undefined).map(familiarString);
    const repoDigests = shown.filter((reference) => reference.digest !== undefined).map(familiarString);
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (!(options.all === true || !candidate.hasChildren)) continue;
      if (hasDanglingFilter && !danglingOnly) continue;
      if (patterns.length > 0) continue;
      listed.push({ image, repoTags: ['<none>:<none>'], repoDigests: ['<none>@<none>'] });
      continue;
    }
    if (danglingOnly && repoTags.length > 0) continue;
    listed.push({ image, repoTags, repoDigests });
  }
  return listed;
}
