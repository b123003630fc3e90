import { PassThrough, type Readable, finished } from 'node:stream';

/**
 * Feeds one stream to two consumers at the pace of the slower one. A failure on any side
 * (the source, or either consumer giving up early) ends all three with that error, so
 * neither consumer is left waiting for bytes that will never come.
 */
export function tee(source: Readable): [Readable, Readable] {
  const branches = [new PassThrough({ highWaterMark: 1 << 20 }), new PassThrough({ highWaterMark: 1 << 20 })] as const;
  const failAll = (error: Error) => {
    if (!source.destroyed) source.destroy(error);
    for (const branch of branches) if (!branch.destroyed) branch.destroy(error);
  };
  source.on('error', failAll);
  for (const branch of branches) {
    source.pipe(branch);
    finished(branch, { writable: false }, (error) => {
      if (error) failAll(error);
    });
  }
  return [branches[0], branches[1]];
}
