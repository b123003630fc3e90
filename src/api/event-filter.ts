import { hasAllLabels } from '../common/label-filter.js';
import { invalidArgument } from '../common/errors.js';
import type { EngineEvent } from '../engine/events.js';
import type { Filters } from '../engine/types.js';

const acceptedKeys = new Set([
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
]);

/** Actions docker matches by prefix when named without their `: detail` suffix. */
const prefixActions = ['health_status', 'exec_create', 'exec_start'];

export function validateEventFilters(filters: Filters): void {
  for (const key of Object.keys(filters)) if (!acceptedKeys.has(key)) throw invalidArgument(`invalid filter '${key}'`);
}

function values(filters: Filters, key: string): string[] | undefined {
  const wanted = filters[key];
  return wanted === undefined || wanted.length === 0 ? undefined : wanted;
}

/** No filter on the key, or one of its values equals the source. */
function exactMatch(filters: Filters, key: string, ...sources: (string | undefined)[]): boolean {
  const wanted = values(filters, key);
  return wanted === undefined || sources.some((source) => source !== undefined && wanted.includes(source));
}

/** No filter on the key, or the source starts with one of its values (ids match by prefix). */
function fuzzyMatch(filters: Filters, key: string, ...sources: (string | undefined)[]): boolean {
  const wanted = values(filters, key);
  return wanted === undefined || sources.some((source) => source !== undefined && wanted.some((value) => source.startsWith(value)));
}

function stripTag(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash && !image.includes('@') ? image.slice(0, colon) : image;
}

/** Matches a name-or-id filter (container, network, volume...) for events of that type only. */
function actorMatches(filters: Filters, key: string, event: EngineEvent): boolean {
  if (values(filters, key) === undefined) return true;
  if (event.Type !== key) return false;
  return fuzzyMatch(filters, key, event.Actor.ID, event.Actor.Attributes.name);
}

function imageMatches(filters: Filters, event: EngineEvent): boolean {
  const name = event.Actor.Attributes[event.Type === 'image' ? 'name' : 'image'];
  return exactMatch(filters, 'image', event.Actor.ID, name, stripTag(event.Actor.ID), stripTag(name));
}

function actionMatches(filters: Filters, action: string): boolean {
  const wanted = values(filters, 'event');
  if (wanted === undefined) return true;
  if (wanted.some((value) => prefixActions.includes(value))) return fuzzyMatch(filters, 'event', action);
  return exactMatch(filters, 'event', action);
}

/** Docker's event filter semantics: every filtered key must match; values of one key are alternatives. */
export function eventMatches(filters: Filters, event: EngineEvent): boolean {
  return (
    actionMatches(filters, event.Action) &&
    exactMatch(filters, 'type', event.Type) &&
    exactMatch(filters, 'scope', event.scope) &&
    actorMatches(filters, 'container', event) &&
    actorMatches(filters, 'network', event) &&
    actorMatches(filters, 'volume', event) &&
    actorMatches(filters, 'daemon', event) &&
    imageMatches(filters, event) &&
    hasAllLabels(event.Actor.Attributes, values(filters, 'label') ?? [])
  );
}
