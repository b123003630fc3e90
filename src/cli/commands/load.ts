/**
 * berth load / berth image load [OPTIONS]: POST /images/load with the tar (from -i FILE or stdin)
 * as the body; the daemon's answer, a JSON message stream, is shown as docker shows it. Like docker,
 * the daemon is asked to be quiet unless stdout is a terminal.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { API_VERSION } from '../client.js';
import type { DefineCommand } from '../context.js';
import { CliError } from '../errors.js';
import { pathErrorText } from '../path-error.js';
import { displayJsonMessages } from '../progress.js';
import { copyToStdout } from '../streams.js';

interface LoadFlags {
  input?: string;
  platform?: string;
  quiet?: boolean;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .usage('[OPTIONS]')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('--platform <string>', "Load only the given platform variant (needs API 1.48; berth's is 1.44)")
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (flags: LoadFlags) => {
      // the API takes a platform for load only from 1.48 on: docker refuses the flag with an older daemon
      if (flags.platform) throw new CliError(`"--platform" requires API version 1.48, but the berth daemon API version is ${API_VERSION}`);
      let input: Readable;
      if (!flags.input) {
        // reading a terminal would wait for a tar nobody is typing
        if (process.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
        input = process.stdin;
      } else {
        const file = await open(flags.input).catch((error: unknown) => {
          throw new CliError(pathErrorText(error));
        });
        input = file.createReadStream();
      }
      const res = await ctx.client.request('POST', '/images/load', {
        query: { quiet: flags.quiet === true || !process.stdout.isTTY },
        stream: input,
        contentType: 'application/x-tar',
      });
      if (res.headers['content-type'] === 'application/json') {
        await displayJsonMessages(res, process.stdout);
        return;
      }
      await copyToStdout(res);
    });
};
