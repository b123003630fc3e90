/** berth start [-a] [-i] CONTAINER...: starts containers, or starts one and joins its stdio. */
import { openSession } from '../attach-session.js';
import type { DefineCommand } from '../context.js';
import { CliError, DaemonError, ExitStatus } from '../errors.js';
import { DEFAULT_DETACH_KEYS } from '../../common/detach-keys.js';
import { parseDetachKeys } from '../streams.js';
import { restoreTerminal } from '../terminal.js';
import { containerPath, forEachName } from './shared.js';

interface StartOptions {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<container...>')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .option('-a, --attach', "Attach STDOUT/STDERR and forward signals")
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-i, --interactive', "Attach container's STDIN")
    .action(async (names: string[], opts: StartOptions) => {
      const client = ctx.client;
      if (!opts.attach && !opts.interactive) {
        await forEachName(names, async (name) => {
          await client.call('POST', `${containerPath(name)}/start`);
          return name;
        });
        return;
      }
      if (names.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
      const c = await client.json<{ Id: string; Config: { Tty?: boolean; OpenStdin?: boolean } }>('GET', `${containerPath(names[0]!)}/json`);
      const tty = c.Config.Tty ?? false;
      const attachStdin = (opts.interactive ?? false) && (c.Config.OpenStdin ?? false);
      if (tty && attachStdin && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
      const path = `/containers/${c.Id}`;
      const hijacked = await client.hijack(`${path}/attach`, {
        query: { stream: true, stdin: attachStdin, stdout: true, stderr: true, detachKeys: opts.detachKeys },
      });
      const session = openSession(client, hijacked, {
        tty,
        attachStdin,
        detachKeys: parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS),
        resizePath: `${path}/resize`,
        signalTarget: tty ? undefined : c.Id,
      });
      const waitResponse = await client.request('POST', `${path}/wait`, { query: { condition: 'next-exit' } });
      try {
        await client.call('POST', `${path}/start`);
      } catch (error) {
        restoreTerminal();
        if (error instanceof DaemonError) throw new CliError(error.display);
        throw error;
      }
      session.started();
      if ((await session.done) === 'detached') return;
      let text = '';
      for await (const chunk of waitResponse) text += (chunk as Buffer).toString();
      const result = JSON.parse(text) as { StatusCode: number };
      throw new ExitStatus(result.StatusCode);
    });
};
