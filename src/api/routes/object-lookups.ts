import { notFound } from '../../common/errors.js';
import { sendJson } from '../http-io.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';

/**
 * Until networks land, berth has exactly docker's two built-in networks without a
 * bridge (host, none) and no plugins. Clients look objects up here by name
 * (`docker inspect x` tries containers, images, networks, volumes, plugins), so
 * lookups answer as docker does for what does not exist: 404, not 501.
 */
const BUILTIN_NETWORKS = ['host', 'none'].map((name) => ({
  Name: name,
  Id: name,
  Created: '0001-01-01T00:00:00Z',
  Scope: 'local',
  Driver: name === 'host' ? 'host' : 'null',
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Containers: {},
  Options: {},
  Labels: {},
}));

export function addObjectLookups(router: Router<Route>): void {
  router.add('GET', '/networks', plain((_context, res) => sendJson(res, 200, BUILTIN_NETWORKS)));
  router.add('GET', '/networks/:id', plain(({ params }, res) => {
    const network = BUILTIN_NETWORKS.find((candidate) => candidate.Name === params.id || candidate.Id === params.id);
    if (!network) throw notFound(`network ${params.id} not found`);
    sendJson(res, 200, network);
  }));
  router.add('GET', '/plugins', plain((_context, res) => sendJson(res, 200, [])));
  router.add('GET', '/plugins/:name*/json', plain(({ params }) => {
    throw notFound(`plugin "${params.name}" not found`);
  }));
}
