/**
 * docker's credential helper protocol: `docker-credential-<name> get|store|erase`, the server
 * address or a JSON record on stdin, JSON on stdout. The config file names the helper per
 * registry (`credHelpers`) or for all of them (`credsStore`).
 */
import type { DockerConfig } from './docker-config.js';
import { childProcess } from './node-builtins.js';

/** The username a helper stores for an identity token instead of a password. */
const TOKEN_USERNAME = '<token>';

/** The helper for `serverAddress` (matched exactly, as docker does), or undefined for the file itself. */
export function helperFor(config: DockerConfig, serverAddress: string): string | undefined {
  return config.credHelpers?.[serverAddress] || config.credsStore || undefined;
}

/** A helper that failed: docker's wording of why, and what it printed. */
class HelperError extends Error {
  constructor(
    reason: string,
    readonly out: string,
  ) {
    super(`err: ${reason}, out: \`${out}\``);
  }
}

function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(program, [action], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(new HelperError(error.code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : error.message, ''));
    });
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new HelperError(`exit status ${code}`, out.trim()));
    });
    // a helper that exits without reading its input is reported by its status, not as EPIPE
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** The stored credentials, or undefined when the helper has none for this server. */
export async function helperGet(name: string, serverAddress: string): Promise<{ username?: string; password?: string; identitytoken?: string } | undefined> {
  let out: string;
  try {
    out = await runHelper(name, 'get', serverAddress);
  } catch (error) {
    if (error instanceof HelperError && error.out === 'credentials not found in native keychain') return undefined;
    throw new Error(`error getting credentials - ${(error as Error).message}`);
  }
  const found = JSON.parse(out) as { Username?: string; Secret?: string };
  if (found.Username === TOKEN_USERNAME) return { identitytoken: found.Secret ?? '' };
  return { username: found.Username ?? '', password: found.Secret ?? '' };
}

export async function helperStore(name: string, serverAddress: string, auth: { username: string; password: string; identitytoken?: string }): Promise<void> {
  const record = auth.identitytoken
    ? { ServerURL: serverAddress, Username: TOKEN_USERNAME, Secret: auth.identitytoken }
    : { ServerURL: serverAddress, Username: auth.username, Secret: auth.password };
  try {
    await runHelper(name, 'store', JSON.stringify(record));
  } catch (error) {
    throw new Error(`error storing credentials - ${(error as Error).message}`);
  }
}

export async function helperErase(name: string, serverAddress: string): Promise<void> {
  try {
    await runHelper(name, 'erase', serverAddress);
  } catch (error) {
    throw new Error(`error erasing credentials - ${(error as Error).message}`);
  }
}
