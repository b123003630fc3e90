import type { ApiBackend } from '../backend.js';
import { sendJson } from '../http-io.js';
import { parseFilters } from '../query.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';

/**
 * `docker diff` and the prunes `docker system prune` runs; `GET /system/df` is a system
 * route. The volume prune is with the volume routes.
 */
export function addMaintenanceRoutes(router: Router<Route>, backend: ApiBackend): void {
  const maintenance = backend.maintenance;

  router.add(
    'GET',
    '/containers/:id/changes',
    plain(async ({ params }, res) => {
      sendJson(res, 200, await maintenance.changes(params.id!));
    }),
  );

  router.add(
    'POST',
    '/containers/prune',
    plain(async ({ query }, res) => {
      sendJson(res, 200, await maintenance.pruneContainers(parseFilters(query.get('filters'))));
    }),
  );

  router.add(
    'POST',
    '/images/prune',
    plain(async ({ query }, res) => {
      sendJson(res, 200, await maintenance.pruneImages(parseFilters(query.get('filters'))));
    }),
  );

  // `docker system prune` also prunes networks and the build cache, and gives up at the
  // first refusal. berth makes no user networks and keeps no build cache (it has no
  // builder yet), so nothing of either kind exists to remove: the answer is that.
  router.add(
    'POST',
    '/networks/prune',
    plain(async ({ query }, res) => {
      parseFilters(query.get('filters'));
      sendJson(res, 200, { NetworksDeleted: null });
    }),
  );

  router.add(
    'POST',
    '/build/prune',
    plain(async (_context, res) => {
      sendJson(res, 200, { CachesDeleted: null, SpaceReclaimed: 0 });
    }),
  );
}
