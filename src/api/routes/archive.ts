import { pipeline } from 'node:stream/promises';
import { PATH_STAT_HEADER, encodePathStat } from '../../common/container-path-stat.js';
import { errnoCode } from '../../common/errors.js';
import type { ApiBackend } from '../backend.js';
import { queryBoolean } from '../query.js';
import type { Router } from '../router.js';
import { type Route, plain } from '../route-types.js';

/** `docker cp`: HEAD stats a path, GET downloads it as a tar, PUT unpacks a tar into a directory. */
export function addArchiveRoutes(router: Router<Route>, { archive }: ApiBackend): void {
  router.add(
    'HEAD',
    '/containers/:id/archive',
    plain(async ({ params, query }, res) => {
      const stat = await archive.stat(params.id!, query.get('path') ?? '');
      res.writeHead(200, { [PATH_STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar' });
      res.end();
    }),
  );

  router.add(
    'GET',
    '/containers/:id/archive',
    plain(async ({ params, query }, res) => {
      const { stat, tar, released } = await archive.get(params.id!, query.get('path') ?? '');
      res.writeHead(200, { [PATH_STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar' });
      try {
        await pipeline(tar, res, { end: false });
        await released;
        res.end();
      } catch (error) {
        // The client leaving mid-download is not the daemon's failure.
        if (errnoCode(error) !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
      }
    }),
  );

  router.add(
    'PUT',
    '/containers/:id/archive',
    plain(async ({ req, params, query }, res) => {
      await archive.put(params.id!, query.get('path') ?? '', req, {
        noOverwriteDirNonDir: queryBoolean(query, 'noOverwriteDirNonDir'),
        copyUIDGID: queryBoolean(query, 'copyUIDGID'),
      });
      res.writeHead(200);
      res.end();
    }),
  );
}
