import { PassThrough } from 'node:stream';
import { notImplemented } from '../../common/errors.js';
import type { ApiBackend } from '../backend.js';
import { sendJson } from '../http-io.js';
import { ProgressStream } from '../progress-stream.js';
import { parseFilters, queryBoolean, queryString } from '../query.js';
import type { Router } from '../router.js';
import { pullRoute } from './registry.js';
import { type Route, plain } from '../route-types.js';


export function addImageRoutes(router: Router<Route>, backend: ApiBackend): void {
  const images = backend.images;

  router.add(
    'GET',
    '/images/json',
    plain(async ({ query }, res) => {
      sendJson(res, 200, await images.list({ all: queryBoolean(query, 'all'), filters: parseFilters(query.get('filters')) }));
    }),
  );

  router.add(
    'POST',
    '/images/create',
    plain(async ({ req, query }, res) => {
      if (queryString(query, 'fromImage') !== undefined) {
        await pullRoute(backend, { req, query }, res);
        return;
      }
      const source = query.get('fromSrc');
      if (source !== '-') throw notImplemented(`berth can import only from the request body (fromSrc=-), not from ${source ?? 'nowhere'}`);
      // The importer destroys its source when it refuses the options; that must not take the socket and the answer with it.
      const body = new PassThrough();
      req.pipe(body);
      const repo = queryString(query, 'repo');
      const tag = queryString(query, 'tag');
      const message = queryString(query, 'message');
      let id: string;
      try {
        id = await images.import(body, {
          changes: query.getAll('changes'),
          ...(repo === undefined ? {} : { repo }),
          ...(tag === undefined ? {} : { tag }),
          ...(message === undefined ? {} : { message }),
        });
      } catch (error) {
        // Discard the rest of the upload so the client gets the answer and the connection stays usable.
        req.unpipe(body);
        req.resume();
        throw error;
      }
      const stream = new ProgressStream(res);
      stream.raw({ status: id });
      stream.end();
    }),
  );

  router.add(
    'GET',
    '/images/:name*/json',
    plain(async ({ params }, res) => {
      sendJson(res, 200, await images.inspect(params.name!));
    }),
  );

  router.add(
    'GET',
    '/images/:name*/history',
    plain(async ({ params }, res) => {
      sendJson(res, 200, await images.history(params.name!));
    }),
  );

  router.add(
    'POST',
    '/images/:name*/tag',
    plain(async ({ params, query }, res) => {
      await images.tag(params.name!, query.get('repo') ?? '', queryString(query, 'tag'));
      res.writeHead(201, { 'Content-Length': 0 });
      res.end();
    }),
  );

  router.add(
    'DELETE',
    '/images/:name*',
    plain(async ({ params, query }, res) => {
      sendJson(res, 200, await images.remove(params.name!, { force: queryBoolean(query, 'force') }));
    }),
  );
}
