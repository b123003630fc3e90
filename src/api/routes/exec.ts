import { invalidArgument } from '../../common/errors.js';
import type { ExecCreateRequest } from '../../engine/types.js';
import type { ApiBackend } from '../backend.js';
import { checkJsonContentType, parseJsonBody, readAll, sendEmpty, sendJson } from '../http-io.js';
import { queryDimension } from '../query.js';
import type { Router } from '../router.js';
import { type Route, plain, stdio } from '../route-types.js';
import { serveSession, sessionDetachKeys } from '../stdio-session.js';
import { stdioContentType } from '../stdio-framing.js';
import { multiplexedTypeSupported } from './containers.js';

interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function addExecRoutes(router: Router<Route>, backend: ApiBackend): void {
  const execs = backend.execs;

  router.add(
    'POST',
    '/containers/:id/exec',
    plain(async ({ req, params }, res) => {
      checkJsonContentType(req.headers['content-type']);
      const request = parseJsonBody<ExecCreateRequest>(await readAll(req));
      if (!isObject(request)) throw invalidArgument('invalid JSON: the exec config must be an object');
      if (typeof request.DetachKeys === 'string') sessionDetachKeys(request.DetachKeys);
      sendJson(res, 201, await execs.create(params.id!, request));
    }),
  );

  router.add(
    'POST',
    '/exec/:id/start',
    stdio(async (context, connection) => {
      checkJsonContentType(context.req.headers['content-type']);
      const request = parseJsonBody<ExecStartRequest>(await connection.readOptions(), {});
      if (!isObject(request)) throw invalidArgument('invalid JSON: the exec start config must be an object');
      const detach = request.Detach === true;
      const session = await execs.start(context.params.id!, {
        detach,
        ...(typeof request.Tty === 'boolean' ? { tty: request.Tty } : {}),
      });
      if (detach) {
        connection.respondEmpty(200);
        return;
      }
      // Checked at create, so the exec's keys parse.
      const detachKeys = sessionDetachKeys(session.detachKeys);
      await serveSession(session, connection.open(stdioContentType(session.tty, multiplexedTypeSupported(context))), detachKeys);
    }),
  );

  router.add(
    'POST',
    '/exec/:id/resize',
    plain(async ({ params, query }, res) => {
      await execs.resize(params.id!, queryDimension(query, 'h'), queryDimension(query, 'w'));
      sendEmpty(res, 200);
    }),
  );

  router.add(
    'GET',
    '/exec/:id/json',
    plain(async ({ params }, res) => {
      sendJson(res, 200, await execs.inspect(params.id!));
    }),
  );
}
