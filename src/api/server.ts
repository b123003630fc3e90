import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { notFound } from '../common/errors.js';
import { negotiateVersion } from './api-version.js';
import type { ApiBackend } from './backend.js';
import { errorResponse } from './error-status.js';
import { ConnectionGate, type TakenConnection, takeOver } from './connection-gate.js';
import { commonHeaders, errorBody } from './http-io.js';
import { type Match, Router } from './router.js';
import type { Route, RouteContext, StdioHandler } from './route-types.js';
import { addContainerRoutes } from './routes/containers.js';
import { addEventRoutes } from './routes/events.js';
import { addExecRoutes } from './routes/exec.js';
import { addImageRoutes } from './routes/images.js';
import { addRegistryRoutes } from './routes/registry.js';
import { addImageArchiveRoutes } from './routes/image-archive.js';
import { addSystemRoutes } from './routes/system.js';
import { addObjectLookups } from './routes/object-lookups.js';
import { addUnsupportedRoutes } from './routes/unsupported.js';
import { addStatsRoutes } from './routes/stats.js';
import { addArchiveRoutes } from './routes/archive.js';
import { addMaintenanceRoutes } from './routes/maintenance.js';
import { addVolumeRoutes } from './routes/volumes.js';
import { HijackedConnection, type StdioConnection } from './stdio-connection.js';

export type { ApiBackend, ImageApi, SystemApi, VolumeApi } from './backend.js';

export interface ApiServerOptions {
  /** Where unexpected failures are reported (default: stderr). */
  log?: (message: string) => void;
}

function buildRouter(backend: ApiBackend): Router<Route> {
  const router = new Router<Route>();
  addSystemRoutes(router, backend);
  addContainerRoutes(router, backend);
  addExecRoutes(router, backend);
  addRegistryRoutes(router, backend);
  addImageRoutes(router, backend);
  addImageArchiveRoutes(router, backend);
  addEventRoutes(router, backend);
  addArchiveRoutes(router, backend);
  addStatsRoutes(router, backend);
  addMaintenanceRoutes(router, backend);
  addVolumeRoutes(router, backend);
  addObjectLookups(router);
  addUnsupportedRoutes(router);
  return router;
}

interface ResolvedRequest {
  context: RouteContext;
  match: Match<Route>;
}

/** Finds the route of a request; throws for a refused version or an unknown path (docker's `page not found`). */
function resolve(router: Router<Route>, req: http.IncomingMessage): ResolvedRequest {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const { version, path } = negotiateVersion(rawPath);
  const method = req.method ?? 'GET';
  const match = router.match(method, path);
  if (match === undefined) throw notFound('page not found');
  const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));
  return { context: { req, method, path, params: match.params, query, version }, match };
}

/**
 * Puts a ConnectionGate between every accepted socket and the server's HTTP
 * parser. The parser is the server's one 'connection' listener; Node accepts any
 * Duplex there.
 */
function gateConnections(server: http.Server): void {
  const listeners = server.listeners('connection') as ((socket: Duplex) => void)[];
  const parse = listeners[0];
  if (listeners.length !== 1 || parse === undefined) throw new Error('the HTTP server has an unexpected connection listener');
  server.removeListener('connection', parse);
  server.on('connection', (socket: Socket) => parse.call(server, new ConnectionGate(socket)));
}

/**
 * The Docker Engine API (v1.44) over node:http; the caller listens (on a unix
 * socket). Attach and exec start take the raw socket over, with or without
 * `Upgrade: tcp` (see ConnectionGate); everything else is a plain request.
 */
export function createApiServer(backend: ApiBackend, options: ApiServerOptions = {}): http.Server {
  const log = options.log ?? ((message: string) => console.error(message));
  const router = buildRouter(backend);

  const describe = (req: http.IncomingMessage): string => `${req.method ?? '?'} ${req.url ?? '?'}`;

  const report = (req: http.IncomingMessage, error: unknown): void => {
    const { unexpected } = errorResponse(error);
    if (unexpected) log(`api: ${describe(req)}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  };

  /** Answers with the error, or drops a response whose head is already out. */
  const sendError = (res: http.ServerResponse, error: unknown): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, message } = errorResponse(error);
    if (status === 304) {
      res.writeHead(304);
      res.end();
      return;
    }
    const body = errorBody(message);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  };

  const failStdio = (req: http.IncomingMessage, connection: StdioConnection, error: unknown): void => {
    report(req, error);
    if (connection.opened) connection.destroy();
    else connection.fail(error);
  };

  const hijacked = new Set<Socket>();

  const serveStdio = async (req: http.IncomingMessage, context: RouteContext, handler: StdioHandler, taking: Promise<TakenConnection>): Promise<void> => {
    const taken = await taking;
    hijacked.add(taken.socket);
    taken.socket.once('close', () => hijacked.delete(taken.socket));
    const connection = new HijackedConnection(req, taken);
    try {
      await handler(context, connection);
    } catch (error) {
      failStdio(req, connection, error);
    }
  };

  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(commonHeaders)) res.setHeader(name, value);
    try {
      const { context, match } = resolve(router, req);
      if (match.handler.kind === 'plain') {
        await match.handler.handle(context, res);
        return;
      }
      // Taken while the parser is still at the end of this head, before anything is awaited.
      await serveStdio(req, context, match.handler.handle, takeOver(req));
    } catch (error) {
      report(req, error);
      sendError(res, error);
    }
  };

  const server = http.createServer(
    {
      // Imports upload image tarballs of any size; the default 5-minute request limit would cut them off.
      requestTimeout: 0,
      // Attach and exec start take their connection from the gate, Upgrade or not; an Upgrade header elsewhere is ignored, as dockerd does.
      shouldUpgradeCallback: () => false,
    },
    (req, res) => void onRequest(req, res),
  );
  gateConnections(server);
  // Node forgets taken-over sockets; a daemon shutting down must still be able to drop attach and exec streams.
  const closeHttpConnections = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeHttpConnections();
    for (const socket of hijacked) socket.destroy();
  };
  return server;
}
