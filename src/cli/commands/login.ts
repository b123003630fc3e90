/**
 * berth login [OPTIONS] [SERVER]: checks credentials with the daemon (POST /auth) and keeps them in
 * the docker config file, or its credential helper, as `docker login` does; Docker Hub when no
 * server is given. Without -u/-p the stored credentials are tried first; what is missing is asked
 * for on a terminal, the password without echo. Docker Hub's web-based (device code) login is not
 * offered: berth's CLI talks to the daemon only.
 */
import type { CliContext, DefineCommand } from '../context.js';
import { CliError, DaemonError } from '../errors.js';
import { storeCredentials, type Login } from '../credential-store.js';
import { configDir, readConfigFile, type ConfigFile } from '../docker-config.js';
import { Prompter } from '../prompt.js';
import { INDEX_SERVER, convertToHostname, storedCredentials, type AuthConfig } from '../registry-auth.js';
import { errorText } from './shared.js';

interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

const REGISTER_SUGGEST =
  "Log in with your Docker ID or email address to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com/ to create one.";
const PAT_SUGGEST =
  'You can log in with your password or a Personal Access Token (PAT). Using a limited-scope PAT grants better security and is required for organizations using SSO. Learn more at https://docs.docker.com/go/access-tokens/';

/** The address credentials are checked and kept under: Docker Hub's v1 URL, else host[:port]. */
function loginAddress(server: string | undefined): string {
  if (!server || server === 'docker.io' || server === INDEX_SERVER) return INDEX_SERVER;
  return convertToHostname(server);
}

async function readPasswordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString();
  return text.replace(/\n$/, '').replace(/\r$/, '');
}

interface AuthenticateOK {
  Status?: string;
  IdentityToken?: string;
}

/** POST /auth; a registry's identity token replaces the password that is kept. */
async function authenticate(ctx: CliContext, username: string, password: string, serveraddress: string): Promise<{ status: string; login: Login }> {
  const ok = await ctx.client.json<AuthenticateOK>('POST', '/auth', { body: { username, password, serveraddress } });
  const login: Login = ok?.IdentityToken ? { username, password: '', identitytoken: ok.IdentityToken } : { username, password };
  return { status: ok?.Status ?? '', login };
}

async function save(file: ConfigFile, address: string, login: Login): Promise<void> {
  let plaintextPassword: boolean;
  try {
    ({ plaintextPassword } = await storeCredentials(file, address, login));
  } catch (error) {
    throw new CliError(`Error saving credentials: ${(error as Error).message}`);
  }
  if (plaintextPassword) {
    process.stderr.write(
      `\nWARNING! Your credentials are stored unencrypted in '${file.path}'.\n` +
        'Configure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n',
    );
  }
}

/** Asks for what the flags did not give (docker's PromptUserForCredentials). */
async function promptCredentials(address: string, flagUser: string, flagPassword: string, storedUser: string): Promise<{ username: string; password: string }> {
  if ((!flagUser || !flagPassword) && !process.stdin.isTTY) throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
  const prompter = new Prompter();
  try {
    let username = flagUser;
    if (!username) {
      if (address === INDEX_SERVER) process.stdout.write(`${REGISTER_SUGGEST}\n${PAT_SUGGEST}\n\n`);
      username = (await prompter.ask(storedUser ? `Username (${storedUser}): ` : 'Username: ')) || storedUser;
      if (!username) throw new CliError('Error: Non-null Username Required');
    }
    let password = flagPassword;
    if (!password.trim()) {
      password = await prompter.askSecret('Password: ');
      if (!password) throw new CliError('Error: Password Required');
    }
    return { username, password };
  } finally {
    prompter.close();
  }
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('[server]')
    .usage('[OPTIONS] [SERVER]')
    .description('Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .option('-u, --username <string>', 'Username')
    .action(async (server: string | undefined, flags: LoginFlags) => {
      if (flags.passwordStdin) {
        if (flags.password !== undefined) throw new CliError('conflicting options: cannot specify both --password and --password-stdin');
        if (flags.username === undefined) throw new CliError('the --password-stdin option requires --username to be set');
      }
      if (flags.password !== undefined) process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      const username = (flags.username ?? '').trim();
      const password = flags.passwordStdin ? await readPasswordFromStdin() : (flags.password ?? '');

      const address = loginAddress(server);
      const file = await readConfigFile(configDir(ctx.configDirFlag));
      let stored: AuthConfig = {};
      if (!username && !password) stored = await storedCredentials(file.config, address).catch((): AuthConfig => ({}));

      if (stored.username && stored.password) {
        process.stderr.write(
          `Authenticating with existing credentials... [Username: ${stored.username}]\n\n` +
            " Info -> To login with a different account, run 'berth logout' followed by 'berth login'\n\n\n",
        );
        try {
          const { status, login } = await authenticate(ctx, stored.username, stored.password, address);
          await save(file, address, login);
          if (status) process.stdout.write(`${status}\n`);
          return;
        } catch (error) {
          // no daemon, or credentials that cannot be saved: asking for others would not help
          if (error instanceof CliError) throw error;
          const invalid = error instanceof DaemonError && error.statusCode === 401;
          process.stderr.write(invalid ? 'Stored credentials invalid or expired\n' : `Login did not succeed, error: ${errorText(error)}\n`);
        }
      }

      const entered = await promptCredentials(address, username, password, stored.username ?? '');
      const { status, login } = await authenticate(ctx, entered.username, entered.password, address);
      await save(file, address, login);
      if (status) process.stdout.write(`${status}\n`);
    });
};
