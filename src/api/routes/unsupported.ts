import { notImplemented } from '../../common/errors.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';

const anyMethod = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'];

/** Docker API areas berth does not serve yet, whatever the method or sub-path. */
const unsupportedAreas = [
  '/swarm',
  '/services',
  '/nodes',
  '/tasks',
  '/secrets',
  '/configs',
  '/plugins',
  '/networks',
  '/distribution',
  '/session',
  '/grpc',
  '/build',
];

/** Single Docker endpoints berth does not serve yet. */
const unsupportedEndpoints: readonly [string | readonly string[], string][] = [
  ['POST', '/commit'],
  ['POST', '/auth'],
  ['GET', '/images/search'],
  ['POST', '/images/:name*/push'],
  ['GET', '/containers/:id/attach/ws'],
];

/**
 * What a user can do instead, for areas people reach without asking for them:
 * docker-compose creates a network for every project unless told otherwise.
 */
const workarounds: Record<string, string> = {
  '/networks': 'containers run with network mode none (the default) or host; in a compose file give each service network_mode: none or host',
};

/**
 * Known Docker endpoints berth lacks answer 501 with a message that says so,
 * rather than a misleading 404 (`page not found`).
 */
export function addUnsupportedRoutes(router: Router<Route>): void {
  const refuseIn = (area: string) => plain(({ method, path }) => {
    const workaround = workarounds[area];
    throw notImplemented(`berth does not implement ${method} ${path} yet${workaround ? `: ${workaround}` : ''}`);
  });
  for (const area of unsupportedAreas) {
    const refuse = refuseIn(area);
    router.add(anyMethod, area, refuse);
    router.add(anyMethod, `${area}/:rest*`, refuse);
  }
  const refuse = refuseIn('');
  for (const [method, pattern] of unsupportedEndpoints) router.add(method, pattern, refuse);
}
