/**
 * berth import file|URL|- [REPOSITORY[:TAG]]: uploads a root filesystem tarball as a new image
 * (POST /images/create?fromSrc=-) and prints its id.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { DefineCommand } from '../context.js';
import { CliError } from '../errors.js';
import { displayJsonMessages } from '../progress.js';
import { splitReference } from '../pull.js';
import { collect } from './shared.js';

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<file>')
    .argument('[reference]')
    .usage('[OPTIONS] file|URL|- [REPOSITORY[:TAG]]')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action(async (source: string, reference: string | undefined, opts: { change: string[]; message?: string; platform?: string }) => {
      const ref = reference ? splitReference(reference) : undefined;
      const isUrl = /^https?:\/\//.test(source);
      let stream: NodeJS.ReadableStream | undefined;
      if (source === '-') stream = process.stdin;
      else if (!isUrl) {
        try {
          await access(source);
        } catch {
          throw new CliError(`open ${source}: no such file or directory`);
        }
        stream = createReadStream(source);
      }
      const res = await ctx.client.request('POST', '/images/create', {
        query: {
          fromSrc: isUrl ? source : '-',
          repo: ref?.repository,
          tag: ref?.tag,
          message: opts.message,
          changes: opts.change.length ? opts.change : undefined,
          platform: opts.platform,
        },
        stream: stream as import('node:stream').Readable | undefined,
        contentType: 'application/x-tar',
      });
      await displayJsonMessages(res, process.stdout);
    });
};
