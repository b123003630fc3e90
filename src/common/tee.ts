import { PassThrough, type Readable, finished } from 'node:stream';

/**
 * Feeds one stream to two consumers at the pace of the slower one. A failing source ends
 * both branches with its error. A consumer that gives up only drops out: the other one
 * still gets every byte (a pull keeps verifying the blob after an unpack failed, so the
 * user learns the blob was corrupt rather than that gunzip choked); when both have given
 * up, the source is stopped.
 */
export function tee(source: Readable): [Readable, Readable] {
  const branches = [new PassThrough({ highWaterMark: 1 << 20 }), new PassThrough({ highWaterMark: 1 << 20 })] as const;
  let droppedOut = 0;
  source.on('error', (error) => {
    for (const branch of branches) if (!branch.destroyed) branch.destroy(error);
  });
  for (const branch of branches) {
    source.pipe(branch);
    finished(branch, { writable: false }, (error) => {
      if (!error) return;
      source.unpipe(branch);
      droppedOut += 1;
      if (droppedOut === branches.length && !source.destroyed) source.destroy(error);
    });
  }
  return [branches[0], branches[1]];
}
