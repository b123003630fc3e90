import { invalidArgument } from '../../common/errors.js';
import { compareVersions } from '../api-version.js';
import type { ApiBackend } from '../backend.js';
import { checkJsonContentType, parseJsonBody, readAll, sendEmpty, sendJson } from '../http-io.js';
import { parseFilters, queryBoolean } from '../query.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';
import type { VolumeCreateRequest } from '../../volume/volume-store.js';

/** docker 23 (API 1.42) made `volume prune` take only anonymous volumes unless asked for all. */
const PRUNE_ANONYMOUS_ONLY_SINCE = '1.42';

export function addVolumeRoutes(router: Router<Route>, backend: ApiBackend): void {
  const volumes = backend.volumes;

  router.add('GET', '/volumes', plain(({ query }, res) => {
    sendJson(res, 200, { Volumes: volumes.list(parseFilters(query.get('filters'))), Warnings: null });
  }));

  router.add('POST', '/volumes/create', plain(async ({ req }, res) => {
    checkJsonContentType(req.headers['content-type']);
    const request = parseJsonBody<VolumeCreateRequest>(await readAll(req), {});
    if (typeof request !== 'object' || request === null || Array.isArray(request)) throw invalidArgument('invalid JSON: the volume config must be an object');
    sendJson(res, 201, await volumes.create(request));
  }));

  router.add('POST', '/volumes/prune', plain(async ({ query, version }, res) => {
    const allByDefault = compareVersions(version, PRUNE_ANONYMOUS_ONLY_SINCE) < 0;
    sendJson(res, 200, await volumes.prune(parseFilters(query.get('filters')), { allByDefault }));
  }));

  router.add('GET', '/volumes/:name', plain(({ params }, res) => {
    sendJson(res, 200, volumes.get(params.name!));
  }));

  router.add('DELETE', '/volumes/:name', plain(async ({ params, query }, res) => {
    await volumes.remove(params.name!, { force: queryBoolean(query, 'force') });
    sendEmpty(res, 204);
  }));
}
