/**
 * berth save / berth image save [OPTIONS] IMAGE [IMAGE...]: GET /images/get?names=..., the tar
 * going to -o FILE or to stdout (never to a terminal). A file is written under a temporary name
 * beside it and renamed when complete, so a failed or interrupted save leaves nothing behind.
 * berth adds --format oci, sent as ?format=oci (not part of Docker's API).
 */
import { rmSync } from 'node:fs';
import { lstat, open, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { API_VERSION } from '../client.js';
import type { DefineCommand } from '../context.js';
import { CliError, invalidFlagValue, unexpectedEof } from '../errors.js';
import { pathErrorText } from '../path-error.js';
import { copyToStdout } from '../streams.js';

interface SaveFlags {
  output?: string;
  platform?: string;
  format: string;
}

/** docker's checks of -o before anything is written (moby/sys atomicwriter). */
async function checkOutputPath(path: string): Promise<void> {
  const dir = dirname(path);
  if (dir !== '.' && dir !== '..') {
    const info = await stat(dir).catch((error: unknown) => {
      throw new CliError(`failed to save image: invalid output path: ${pathErrorText(error)}`);
    });
    if (!info.isDirectory()) throw new CliError(`failed to save image: invalid output path: stat ${dir}: not a directory`);
  }
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`failed to save image: failed to stat output path: ${pathErrorText(error)}`);
  }
  if (info.isFile()) return;
  const refusal = info.isCharacterDevice() || info.isBlockDevice()
    ? 'cannot write to a character device file'
    : info.isSymbolicLink()
      ? 'cannot write to a symbolic link directly'
      : info.isFIFO()
        ? 'cannot write to a named pipe (FIFO)'
        : info.isDirectory()
          ? 'cannot write to a directory'
          : 'unsupported file mode';
  throw new CliError(`failed to save image: ${refusal}`);
}

/** Writes the archive under a temporary name in the same directory, then renames it into place. */
async function writeAtomically(res: IncomingMessage, path: string): Promise<void> {
  const temporary = join(dirname(path), `.tmp-${basename(path)}${randomBytes(6).toString('hex')}`);
  const handle = await open(temporary, 'wx', 0o600);
  const interrupted = (signal: NodeJS.Signals) => {
    rmSync(temporary, { force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    for await (const chunk of res) await handle.write(chunk as Buffer);
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw unexpectedEof(error);
  } finally {
    process.removeListener('SIGINT', interrupted).removeListener('SIGTERM', interrupted);
  }
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<images...>')
    .usage('[OPTIONS] IMAGE [IMAGE...]')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .option('--platform <string>', "Save only the given platform variant (needs API 1.48; berth's is 1.44)")
    .option(
      '--format <string>',
      'Archive layout: "docker" (what docker save writes) or "oci" (an OCI image layout; a berth extension, sent to the daemon as ?format=oci)',
      'docker',
    )
    .action(async (images: string[], flags: SaveFlags) => {
      // the API takes a platform for save only from 1.48 on: docker refuses the flag with an older daemon
      if (flags.platform) throw new CliError(`"--platform" requires API version 1.48, but the berth daemon API version is ${API_VERSION}`);
      if (flags.format !== 'docker' && flags.format !== 'oci') throw invalidFlagValue(flags.format, '--format', 'must be "docker" or "oci"');
      const output = flags.output || undefined;
      if (output === undefined && process.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      if (output !== undefined) await checkOutputPath(output);
      const res = await ctx.client.request('GET', '/images/get', { query: { names: images, format: flags.format === 'oci' ? 'oci' : undefined } });
      if (output !== undefined) {
        await writeAtomically(res, output);
        return;
      }
      await copyToStdout(res).catch((error: unknown) => {
        throw unexpectedEof(error);
      });
    });
};
