/** docker's filters of `GET /volumes` and `POST /volumes/prune`. */
import { invalidArgument } from '../common/errors.js';

export type Filters = Record<string, string[]>;

export interface VolumeFacts {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** Whether any container refers to it. */
  inUse: boolean;
}

const LIST_FILTERS = new Set(['name', 'label', 'dangling', 'driver']);
export const PRUNE_FILTERS = new Set(['label', 'label!', 'all']);

/** docker's boolean filter values. */
export function filterBoolean(key: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw invalidArgument(`invalid filter '${key}=${value}'`);
}

export function validateFilters(filters: Filters, accepted: ReadonlySet<string>): void {
  for (const key of Object.keys(filters)) if (!accepted.has(key)) throw invalidArgument(`invalid filter '${key}'`);
}

/** Whether the labels have `key` (any value) or `key=value`. */
export function hasLabel(labels: Record<string, string>, spec: string): boolean {
  const equals = spec.indexOf('=');
  if (equals < 0) return Object.hasOwn(labels, spec);
  return labels[spec.slice(0, equals)] === spec.slice(equals + 1);
}

/** docker matches name and driver filters as regular expressions; a bad pattern matches nothing. */
function patternMatches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return false;
  }
}

/** The predicate of a list's filters: values of one key are alternatives, labels must all match. */
export function volumeListFilter(filters: Filters): (volume: VolumeFacts) => boolean {
  validateFilters(filters, LIST_FILTERS);
  const dangling = (filters.dangling ?? []).map((value) => filterBoolean('dangling', value));
  const any = (key: string, test: (value: string) => boolean): boolean => !filters[key]?.length || filters[key]!.some(test);
  return (volume) =>
    any('name', (pattern) => patternMatches(pattern, volume.name)) &&
    any('driver', (pattern) => patternMatches(pattern, volume.driver)) &&
    (filters.label ?? []).every((spec) => hasLabel(volume.labels, spec)) &&
    (dangling.length === 0 || dangling.some((wanted) => wanted === !volume.inUse));
}
