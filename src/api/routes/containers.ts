import { pipeline } from 'node:stream/promises';
import { errnoCode, invalidArgument } from '../../common/errors.js';
import type { CreateContainerRequest, WaitCondition, WaitResult } from '../../engine/types.js';
import { compareVersions } from '../api-version.js';
import type { ApiBackend } from '../backend.js';
import { checkJsonContentType, closeSignal, parseJsonBody, readAll, sendEmpty, sendJson } from '../http-io.js';
import { parseFilters, parseTimestampSeconds, queryBoolean, queryDimension, queryInteger, queryString } from '../query.js';
import type { Router } from '../router.js';
import { type Route, type RouteContext, plain, stdio } from '../route-types.js';
import { copyOutput, serveSession, sessionDetachKeys } from '../stdio-session.js';
import { stdioContentType } from '../stdio-framing.js';

const waitConditions: readonly WaitCondition[] = ['not-running', 'next-exit', 'removed'];

function waitCondition(value: string | null): WaitCondition {
  if (value === null || value === '') return 'not-running';
  if ((waitConditions as readonly string[]).includes(value)) return value as WaitCondition;
  throw invalidArgument(`invalid condition: "${value}"`);
}

/** Multiplexed output is announced with its own media type from API 1.42. */
export function multiplexedTypeSupported(context: RouteContext): boolean {
  return compareVersions(context.version, '1.42') >= 0;
}

/** `tail`: a line count, or all lines for `all`, empty, negative or unparsable values, as docker does. */
function tailLines(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Log bounds: docker treats 0 as no bound. */
function logBound(value: string | null): number | undefined {
  const seconds = parseTimestampSeconds(value);
  return seconds === undefined || seconds === 0 ? undefined : seconds;
}

function stopOptions(query: URLSearchParams): { timeout?: number; signal?: string } {
  const timeout = queryInteger(query, 't');
  const signal = queryString(query, 'signal');
  return { ...(timeout === undefined ? {} : { timeout }), ...(signal === undefined ? {} : { signal }) };
}

export function addContainerRoutes(router: Router<Route>, backend: ApiBackend): void {
  const containers = backend.containers;

  router.add(
    'GET',
    '/containers/json',
    plain(async ({ query }, res) => {
      const limit = queryInteger(query, 'limit');
      const list = await containers.list({
        all: queryBoolean(query, 'all'),
        ...(limit !== undefined && limit > 0 ? { limit } : {}),
        size: queryBoolean(query, 'size'),
        filters: parseFilters(query.get('filters')),
      });
      sendJson(res, 200, list);
    }),
  );

  router.add(
    'POST',
    '/containers/create',
    plain(async ({ req, query }, res) => {
      checkJsonContentType(req.headers['content-type']);
      const request = parseJsonBody<CreateContainerRequest>(await readAll(req));
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        throw invalidArgument('invalid JSON: the container config must be an object');
      }
      const name = queryString(query, 'name');
      sendJson(res, 201, await containers.create(request, name === undefined ? {} : { name }));
    }),
  );

  router.add(
    'GET',
    '/containers/:id/json',
    plain(async ({ params, query }, res) => {
      sendJson(res, 200, await containers.inspect(params.id!, { size: queryBoolean(query, 'size') }));
    }),
  );

  router.add(
    'POST',
    '/containers/:id/start',
    plain(async ({ params }, res) => {
      sendEmpty(res, (await containers.start(params.id!)) ? 204 : 304);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/stop',
    plain(async ({ params, query }, res) => {
      sendEmpty(res, (await containers.stop(params.id!, stopOptions(query))) ? 204 : 304);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/restart',
    plain(async ({ params, query }, res) => {
      await containers.restart(params.id!, stopOptions(query));
      sendEmpty(res, 204);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/kill',
    plain(async ({ params, query }, res) => {
      await containers.kill(params.id!, queryString(query, 'signal'));
      sendEmpty(res, 204);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/pause',
    plain(async ({ params }, res) => {
      await containers.pause(params.id!);
      sendEmpty(res, 204);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/unpause',
    plain(async ({ params }, res) => {
      await containers.unpause(params.id!);
      sendEmpty(res, 204);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/rename',
    plain(async ({ params, query }, res) => {
      await containers.rename(params.id!, query.get('name') ?? '');
      sendEmpty(res, 204);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/resize',
    plain(async ({ params, query }, res) => {
      await containers.resize(params.id!, queryDimension(query, 'h'), queryDimension(query, 'w'));
      sendEmpty(res, 200);
    }),
  );

  router.add(
    'DELETE',
    '/containers/:id',
    plain(async ({ params, query }, res) => {
      await containers.remove(params.id!, { force: queryBoolean(query, 'force'), volumes: queryBoolean(query, 'v') });
      sendEmpty(res, 204);
    }),
  );

  router.add(
    'POST',
    '/containers/:id/wait',
    plain(async ({ params, query }, res) => {
      const condition = waitCondition(query.get('condition'));
      // A missing container is an ordinary error answer; once the 200 is out, only the body can report.
      await containers.inspect(params.id!, { size: false });
      const abort = new AbortController();
      const client = closeSignal(res);
      void client.closed.then(() => abort.abort());
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // `docker run` waits for these headers before it starts the container.
      res.flushHeaders();
      let result: WaitResult;
      try {
        result = await containers.wait(params.id!, condition, abort.signal);
      } catch (error) {
        if (abort.signal.aborted) return;
        result = { StatusCode: -1, Error: { Message: error instanceof Error ? error.message : String(error) } };
      } finally {
        client.cancel();
      }
      res.end(`${JSON.stringify(result)}\n`);
    }),
  );

  router.add(
    'GET',
    '/containers/:id/logs',
    plain(async (context, res) => {
      const { params, query } = context;
      const stdout = queryBoolean(query, 'stdout');
      const stderr = queryBoolean(query, 'stderr');
      if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
      const tail = tailLines(query.get('tail'));
      const since = logBound(query.get('since'));
      const until = logBound(query.get('until'));
      const abort = new AbortController();
      const client = closeSignal(res);
      void client.closed.then(() => abort.abort());
      try {
        const logs = await containers.logs(
          params.id!,
          {
            stdout,
            stderr,
            follow: queryBoolean(query, 'follow'),
            timestamps: queryBoolean(query, 'timestamps'),
            ...(tail === undefined ? {} : { tail }),
            ...(since === undefined ? {} : { since }),
            ...(until === undefined ? {} : { until }),
          },
          abort.signal,
        );
        res.writeHead(200, { 'Content-Type': stdioContentType(logs.tty, multiplexedTypeSupported(context)) });
        res.flushHeaders();
        if (await copyOutput(logs.output, res, logs.tty, client.closed)) res.end();
      } finally {
        client.cancel();
      }
    }),
  );

  router.add(
    'GET',
    '/containers/:id/top',
    plain(async ({ params, query }, res) => {
      sendJson(res, 200, await containers.top(params.id!, queryString(query, 'ps_args')));
    }),
  );

  router.add(
    'GET',
    '/containers/:id/export',
    plain(async ({ params }, res) => {
      const archive = await containers.export(params.id!);
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      try {
        await pipeline(archive, res);
      } catch (error) {
        // The client leaving mid-download is not the daemon's failure.
        if (errnoCode(error) !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
      }
    }),
  );

  router.add(
    'POST',
    '/containers/:id/attach',
    stdio(async (context, connection) => {
      const { params, query } = context;
      await connection.skipBody();
      const detachKeys = sessionDetachKeys(query.get('detachKeys'));
      const session = await containers.attach(params.id!, {
        stdin: queryBoolean(query, 'stdin'),
        stdout: queryBoolean(query, 'stdout'),
        stderr: queryBoolean(query, 'stderr'),
        logs: queryBoolean(query, 'logs'),
        stream: queryBoolean(query, 'stream'),
      });
      await serveSession(session, connection.open(stdioContentType(session.tty, multiplexedTypeSupported(context))), detachKeys);
    }),
  );
}
