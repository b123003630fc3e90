import type http from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errnoCode, invalidArgument } from '../../common/errors.js';
import type { ArchiveFormat } from '../../image/archive/save.js';
import { familiarString } from '../../common/image-reference.js';
import type { ApiBackend } from '../backend.js';
import { ProgressStream } from '../progress-stream.js';
import { queryBoolean, queryString } from '../query.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';

function archiveFormat(query: URLSearchParams): ArchiveFormat {
  const format = queryString(query, 'format') ?? 'docker';
  if (format !== 'docker' && format !== 'oci') throw invalidArgument(`invalid archive format "${format}": use docker or oci`);
  return format;
}

async function sendArchive(res: http.ServerResponse, archive: Readable): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await pipeline(archive, res);
  } catch (error) {
    // The client leaving mid-download is not the daemon's failure.
    if (errnoCode(error) !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}

/**
 * `docker save` (`GET /images/get?names=...`, `GET /images/{name}/get`; berth also takes
 * `format=oci` for an OCI layout alone) and `docker load` (`POST /images/load`).
 */
export function addImageArchiveRoutes(router: Router<Route>, { images }: ApiBackend): void {
  router.add(
    'GET',
    '/images/get',
    plain(async ({ query }, res) => {
      await sendArchive(res, await images.save(query.getAll('names'), { format: archiveFormat(query) }));
    }),
  );

  router.add(
    'GET',
    '/images/:name*/get',
    plain(async ({ params, query }, res) => {
      await sendArchive(res, await images.save([params.name!], { format: archiveFormat(query) }));
    }),
  );

  router.add(
    'POST',
    '/images/load',
    plain(async ({ req, query }, res) => {
      const quiet = queryBoolean(query, 'quiet');
      // The loader destroys its source when it fails; that must not take the socket and the answer with it.
      const body = new PassThrough();
      req.pipe(body);
      const stream = new ProgressStream(res);
      const send = (message: object): void => stream.raw(message);
      try {
        const { images: loaded } = await images.load(
          body,
          quiet
            ? undefined
            : ({ diffId, size }) => send({ status: 'Loading layer', progressDetail: { current: size, total: size }, id: diffId.slice(7, 19) }),
        );
        for (const { id, references, moved } of loaded) {
          for (const { reference, previous } of moved) {
            send({ stream: `The image ${familiarString(reference)} already exists, renaming the old one with ID ${previous} to empty string\n` });
          }
          for (const reference of references) send({ stream: `Loaded image: ${familiarString(reference)}\n` });
          if (references.length === 0) send({ stream: `Loaded image ID: ${id}\n` });
        }
        stream.end();
      } catch (error) {
        // Discard the rest of the upload so the client gets the answer and the connection stays usable.
        req.unpipe(body);
        req.resume();
        stream.fail(error);
      }
    }),
  );
}
