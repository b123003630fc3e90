/**
 * berth run: create, attach before start, wait (next-exit, or removed with --rm), start, then
 * stream the container's output and exit with its status, as docker CLI 28 does.
 */
import type { IncomingMessage } from 'node:http';
import { openSession, type Session } from '../attach-session.js';
import type { CliContext, DefineCommand } from '../context.js';
import { CliError, DaemonError, ExitStatus } from '../errors.js';
import { DEFAULT_DETACH_KEYS } from '../../common/detach-keys.js';
import { parseDetachKeys } from '../streams.js';
import { restoreTerminal } from '../terminal.js';
import { addCreateOptions, type CreateFlags } from './create-options.js';
import { createContainer, runFailure } from './create-container.js';


/** Exit status for a failed start, from the runtime's message as docker maps it. */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied/i.test(message)) return 126;
  return 125;
}

async function readJson<T>(res: IncomingMessage): Promise<T> {
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString();
  return JSON.parse(text) as T;
}

interface WaitResult {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

async function runContainer(ctx: CliContext, flags: CreateFlags, image: string, command: string[]): Promise<void> {
  const interactive = flags.interactive ?? false;
  const tty = flags.tty ?? false;
  if (tty && interactive && !flags.detach && !process.stdin.isTTY) throw new CliError('the input device is not a TTY');
  const detachKeys = parseDetachKeys(flags.detachKeys ?? DEFAULT_DETACH_KEYS);
  const id = await createContainer(ctx, flags, image, command);
  const client = ctx.client;
  const path = `/containers/${id}`;

  const start = async () => {
    try {
      await client.call('POST', `${path}/start`);
    } catch (error) {
      restoreTerminal();
      if (error instanceof DaemonError) throw runFailure(ctx, error.display, startFailureStatus(error.message));
      throw error;
    }
  };

  if (flags.detach) {
    await start();
    process.stdout.write(`${id}\n`);
    return;
  }

  const attach = new Set(flags.attach.map((s) => s.toLowerCase()));
  const attachStdin = attach.size ? attach.has('stdin') : interactive;
  const attachStdout = attach.size ? attach.has('stdout') : true;
  const attachStderr = attach.size ? attach.has('stderr') : true;

  let session: Session | undefined;
  if (attachStdin || attachStdout || attachStderr) {
    const hijacked = await client.hijack(`${path}/attach`, {
      query: { stream: true, stdin: attachStdin, stdout: attachStdout, stderr: attachStderr, detachKeys: flags.detachKeys },
    });
    session = openSession(client, hijacked, {
      tty,
      attachStdin,
      detachKeys,
      resizePath: `${path}/resize`,
      signalTarget: flags.sigProxy === false ? undefined : id,
    });
  }

  // the wait must be registered before start so a fast exit is not missed
  const waitResponse = await client.request('POST', `${path}/wait`, { query: { condition: flags.rm ? 'removed' : 'next-exit' } });
  const waited = readJson<WaitResult>(waitResponse);
  waited.catch(() => {});
  await start();
  session?.started();

  if (session && (await session.done) === 'detached') return;
  let result: WaitResult;
  try {
    result = await waited;
  } catch (error) {
    throw runFailure(ctx, (error as Error).message);
  }
  if (result.Error?.Message) throw runFailure(ctx, result.Error.Message);
  throw new ExitStatus(result.StatusCode);
}

export const define: DefineCommand = (cmd, ctx) => {
  addCreateOptions(cmd, true).action(async (image: string, command: string[], flags: CreateFlags) => {
    await runContainer(ctx, flags, image, command);
  });
};
