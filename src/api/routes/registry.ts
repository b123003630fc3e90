import type { ApiBackend } from '../backend.js';
import { checkJsonContentType, parseJsonBody, readAll, sendJson } from '../http-io.js';
import { ProgressStream } from '../progress-stream.js';
import { parseFilters, queryInteger, queryString } from '../query.js';
import { credentialsOf, registryAuthHeader } from '../registry-auth-header.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';

/** Pull, push, login and search: the image routes that talk to registries. */
export function addRegistryRoutes(router: Router<Route>, backend: ApiBackend): void {
  const images = backend.images;

  router.add(
    'POST',
    '/images/:name*/push',
    plain(async ({ req, params, query }, res) => {
      const stream = new ProgressStream(res);
      const credentials = registryAuthHeader(req.headers['x-registry-auth']);
      try {
        const results = await images.push(params.name!, queryString(query, 'tag'), {
          onProgress: stream.progress,
          signal: stream.signal,
          ...(credentials ? { credentials } : {}),
        });
        for (const result of results) stream.raw({ progressDetail: {}, aux: { Tag: result.tag, Digest: result.digest, Size: result.size } });
        stream.end();
      } catch (error) {
        stream.fail(error);
      }
    }),
  );

  router.add(
    'POST',
    '/auth',
    plain(async ({ req }, res) => {
      checkJsonContentType(req.headers['content-type']);
      const body = parseJsonBody<{ username?: string; password?: string; auth?: string; serveraddress?: string; identitytoken?: string }>(await readAll(req));
      sendJson(res, 200, await images.login(body.serveraddress ?? '', credentialsOf(body) ?? {}));
    }),
  );

  router.add(
    'GET',
    '/images/search',
    plain(async ({ req, query }, res) => {
      const credentials = registryAuthHeader(req.headers['x-registry-auth']);
      const limit = queryInteger(query, 'limit');
      sendJson(
        res,
        200,
        await images.search(query.get('term') ?? '', {
          filters: parseFilters(query.get('filters')),
          ...(limit === undefined || limit === 0 ? {} : { limit }),
          ...(credentials ? { credentials } : {}),
        }),
      );
    }),
  );
}

/** `POST /images/create?fromImage=`: a pull, streamed as Docker's JSON progress messages. */
export async function pullRoute(backend: ApiBackend, context: { req: import('node:http').IncomingMessage; query: URLSearchParams }, res: import('node:http').ServerResponse): Promise<void> {
  const { req, query } = context;
  const stream = new ProgressStream(res);
  const credentials = registryAuthHeader(req.headers['x-registry-auth']);
  const platform = queryString(query, 'platform');
  try {
    await backend.images.pull(query.get('fromImage')!, queryString(query, 'tag'), {
      onProgress: stream.progress,
      signal: stream.signal,
      ...(platform ? { platform } : {}),
      ...(credentials ? { credentials } : {}),
    });
    stream.end();
  } catch (error) {
    stream.fail(error);
  }
}
