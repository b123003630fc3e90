/**
 * POST /containers/create as docker's run and create do it: pull first with --pull=always, or
 * pull and retry once when the daemon has no such image (--pull=missing). The pull's progress
 * goes to stderr so that stdout keeps only the container's id or output.
 */
import { CliError, DaemonError, FlagError } from '../errors.js';
import type { CliContext } from '../context.js';
import { pullImage } from '../pull.js';
import { familiarString, parseNormalizedNamed, withDefaultTag, type ImageReference } from '../../common/image-reference.js';
import { buildCreateBody, createQuery, type CreateBody, type CreateFlags } from './create-options.js';
import { terminalSize } from '../terminal.js';
import { fs } from '../node-builtins.js';

/** docker's wording for a run/create failure: "berth: <error>" and a pointer to --help, exit 125. */
export function runFailure(ctx: CliContext, message: string, status = 125): CliError {
  return new CliError(`berth: ${message}\n\nRun '${ctx.commandPath} --help' for more information`, status);
}

function isMissingImage(error: unknown): boolean {
  return error instanceof DaemonError && error.statusCode === 404 && /no such image/i.test(error.message);
}

/**
 * How the daemon's refusal reads: docker's run reports it as a run failure (exit 125),
 * its create prints the daemon's error as is and exits 1.
 */
export async function createContainer(ctx: CliContext, flags: CreateFlags, image: string, command: string[], caller: 'run' | 'create' = 'run'): Promise<string> {
  const daemonFailure = (message: string): CliError => (caller === 'run' ? runFailure(ctx, message) : new CliError(message, 1));
  let body: CreateBody;
  try {
    body = buildCreateBody(flags, image, command);
  } catch (error) {
    // A flag value pflag rejects reads "... See --help"; a value docker's own parsing rejects reads as a run failure.
    if (error instanceof FlagError) throw error;
    throw runFailure(ctx, (error as Error).message);
  }
  const size = flags.tty ? terminalSize() : undefined;
  if (size) body.HostConfig.ConsoleSize = [size.rows, size.columns];
  const pull = flags.pull ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) {
    throw runFailure(ctx, `invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  const client = ctx.client;
  const pullNow = async (ref: ImageReference) => {
    try {
      await pullImage(ctx, ref, { platform: flags.platform }, flags.quiet ? null : process.stderr);
    } catch (error) {
      throw daemonFailure(error instanceof DaemonError ? error.display : (error as Error).message);
    }
  };
  // like docker, a bad name fails before anything is sent; an image id or digest names nothing a
  // registry serves, so there is nothing to pull then
  let ref: ImageReference | undefined;
  if (!/^(?:sha256:)?[a-f0-9]{64}$/.test(image)) {
    try {
      ref = withDefaultTag(parseNormalizedNamed(image));
    } catch (error) {
      throw daemonFailure((error as Error).message);
    }
  }
  if (pull === 'always' && ref) await pullNow(ref);
  const cidfile = flags.cidfile;
  if (cidfile !== undefined) claimCidfile(ctx, cidfile);
  try {
    const id = await createWithPull();
    if (cidfile !== undefined) fs().writeFileSync(cidfile, id);
    return id;
  } catch (error) {
    if (cidfile !== undefined) fs().rmSync(cidfile, { force: true });
    throw error;
  }

  async function createWithPull(): Promise<string> {
    const create = () => client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', { query: createQuery(flags), body });
    let created: { Id: string; Warnings?: string[] | null };
    try {
      created = await create();
    } catch (error) {
      if (!ref || !isMissingImage(error) || pull !== 'missing') {
        throw error instanceof DaemonError ? daemonFailure(error.display) : error;
      }
      if (!flags.quiet) process.stderr.write(`Unable to find image '${familiarString(ref)}' locally\n`);
      await pullNow(ref);
      try {
        created = await create();
      } catch (retryError) {
        throw retryError instanceof DaemonError ? daemonFailure(retryError.display) : retryError;
      }
    }
    for (const warning of created.Warnings ?? []) process.stderr.write(`WARNING: ${warning}\n`);
    return created.Id;
  }
}

/** docker's --cidfile: the file must not exist yet (another container may own it); it is made before the create. */
function claimCidfile(ctx: CliContext, path: string): void {
  try {
    fs().writeFileSync(path, '', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw runFailure(ctx, `Container ID file found, make sure the other container isn't running or delete ${path}`);
    }
    throw runFailure(ctx, `failed to create the container ID file: ${(error as Error).message}`);
  }
}
