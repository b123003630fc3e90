/**
 * docker's label filters, shared by every list, prune and event filter: a value is
 * `key` (the label is there, any value) or `key=value`.
 */
import { invalidArgument } from './errors.js';

/** Whether `labels` satisfy one filter value. Only the object's own keys count. */
export function hasLabel(labels: Record<string, string>, spec: string): boolean {
  const equals = spec.indexOf('=');
  const key = equals === -1 ? spec : spec.slice(0, equals);
  if (!Object.hasOwn(labels, key)) return false;
  return equals === -1 || labels[key] === spec.slice(equals + 1);
}

/** docker's `label` filter: every value must hold. */
export function hasAllLabels(labels: Record<string, string>, specs: readonly string[]): boolean {
  return specs.every((spec) => hasLabel(labels, spec));
}

/** docker's prune rule: every `label` value holds, and not all of `label!` do. */
export function pruneLabelsMatch(labels: Record<string, string>, filters: { label?: readonly string[]; 'label!'?: readonly string[] }): boolean {
  if (!hasAllLabels(labels, filters.label ?? [])) return false;
  const excluded = filters['label!'] ?? [];
  return excluded.length === 0 || !hasAllLabels(labels, excluded);
}

/** Refuses a filter the endpoint does not know, in docker's words. */
export function checkFilterKeys(filters: Record<string, unknown>, accepted: readonly string[]): void {
  for (const key of Object.keys(filters)) if (!accepted.includes(key)) throw invalidArgument(`invalid filter '${key}'`);
}
