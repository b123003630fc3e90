/** berth attach CONTAINER: joins a running container's stdio until it exits or the user detaches. */
import { openSession } from '../attach-session.js';
import type { DefineCommand } from '../context.js';
import { CliError, ExitStatus } from '../errors.js';
import { DEFAULT_DETACH_KEYS } from '../../common/detach-keys.js';
import { parseDetachKeys } from '../streams.js';
import { containerPath } from './shared.js';

interface ContainerState {
  Id: string;
  Config: { Tty?: boolean; OpenStdin?: boolean };
  State: { Running?: boolean; Paused?: boolean; Restarting?: boolean };
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<container>')
    .usage('[OPTIONS] CONTAINER')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy', 'Proxy all received signals to the process', true)
    .action(async (name: string, opts: { detachKeys?: string; stdin: boolean; sigProxy: boolean }) => {
      const client = ctx.client;
      const path = containerPath(name);
      const c = await client.json<ContainerState>('GET', `${path}/json`);
      if (!c.State.Running) throw new CliError('You cannot attach to a stopped container, start it first');
      if (c.State.Paused) throw new CliError('You cannot attach to a paused container, unpause it first');
      if (c.State.Restarting) throw new CliError('You cannot attach to a restarting container, wait until it is running');
      const tty = c.Config.Tty ?? false;
      const attachStdin = opts.stdin && (c.Config.OpenStdin ?? false);
      if (tty && attachStdin && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
      const hijacked = await client.hijack(`/containers/${c.Id}/attach`, {
        query: { stream: true, stdin: attachStdin, stdout: true, stderr: true, detachKeys: opts.detachKeys },
      });
      const session = openSession(client, hijacked, {
        tty,
        attachStdin,
        detachKeys: parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS),
        resizePath: `/containers/${c.Id}/resize`,
        signalTarget: opts.sigProxy ? c.Id : undefined,
      });
      session.started();
      if ((await session.done) === 'detached') return;
      const result = await client.json<{ StatusCode: number }>('POST', `/containers/${c.Id}/wait`);
      throw new ExitStatus(result.StatusCode);
    });
};
