/** berth exec [-i] [-t] [-d] [-e VAR] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...] */
import { openSession } from '../attach-session.js';
import type { DefineCommand } from '../context.js';
import { CliError, ExitStatus } from '../errors.js';
import { readEnvFile, resolveEnvEntry } from '../opts/parse.js';
import { DEFAULT_DETACH_KEYS } from '../../common/detach-keys.js';
import { parseDetachKeys } from '../streams.js';
import { terminalSize } from '../terminal.js';
import { collect, containerPath } from './shared.js';

interface ExecOptions {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  envFile: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  detachKeys?: string;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<container>')
    .argument('<command...>')
    .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .passThroughOptions()
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .action(async (name: string, command: string[], opts: ExecOptions) => {
      const client = ctx.client;
      const tty = opts.tty ?? false;
      const interactive = opts.interactive ?? false;
      if (tty && interactive && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
      const detach = opts.detach ?? false;
      const size = tty ? terminalSize() : undefined;
      const consoleSize = size ? [size.rows, size.columns] : undefined;
      const env = [...opts.envFile.flatMap((f) => readEnvFile(f, process.env)), ...opts.env.map((e) => resolveEnvEntry(e, process.env))];
      const created = await client.json<{ Id: string }>('POST', `${containerPath(name)}/exec`, {
        body: {
          User: opts.user ?? '',
          Privileged: opts.privileged ?? false,
          Tty: tty,
          ConsoleSize: consoleSize,
          AttachStdin: interactive && !detach,
          AttachStdout: !detach,
          AttachStderr: !detach,
          DetachKeys: opts.detachKeys ?? '',
          Env: env,
          WorkingDir: opts.workdir ?? '',
          Cmd: command,
        },
      });
      const execPath = `/exec/${created.Id}`;
      if (detach) {
        await client.call('POST', `${execPath}/start`, { body: { Detach: true, Tty: tty, ConsoleSize: consoleSize } });
        return;
      }
      const hijacked = await client.hijack(`${execPath}/start`, { body: { Detach: false, Tty: tty, ConsoleSize: consoleSize } });
      const session = openSession(client, hijacked, {
        tty,
        attachStdin: interactive,
        detachKeys: parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS),
        resizePath: `${execPath}/resize`,
        signalTarget: undefined,
      });
      session.started();
      if ((await session.done) === 'detached') return;
      const inspected = await client.json<{ ExitCode: number | null; Running?: boolean }>('GET', `${execPath}/json`);
      throw new ExitStatus(inspected.ExitCode ?? 0);
    });
};
