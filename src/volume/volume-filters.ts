/** docker's filters of `GET /volumes` and `POST /volumes/prune`. */
import { invalidArgument } from '../common/errors.js';
import { checkFilterKeys, hasAllLabels } from '../common/label-filter.js';

export type Filters = Record<string, string[]>;

export interface VolumeFacts {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** Whether any container refers to it. */
  inUse: boolean;
}

const LIST_FILTERS = ['name', 'label', 'dangling', 'driver'];
export const PRUNE_FILTERS = ['label', 'label!', 'all'];

/** docker's boolean filter values. */
export function filterBoolean(key: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw invalidArgument(`invalid filter '${key}=${value}'`);
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
  checkFilterKeys(filters, LIST_FILTERS);
  const dangling = (filters.dangling ?? []).map((value) => filterBoolean('dangling', value));
  const any = (key: string, test: (value: string) => boolean): boolean => !filters[key]?.length || filters[key]!.some(test);
  return (volume) =>
    any('name', (pattern) => patternMatches(pattern, volume.name)) &&
    any('driver', (pattern) => patternMatches(pattern, volume.driver)) &&
    hasAllLabels(volume.labels, filters.label ?? []) &&
    (dangling.length === 0 || dangling.some((wanted) => wanted === !volume.inUse));
}
