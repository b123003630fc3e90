/**
 * Saving and removing a registry login in the docker config file, as `docker login`/`logout` do:
 * in the credential helper the config names (the file then keeps an empty entry for the server),
 * else in the file as `auth: base64(user:password)`, with the identity token when the registry
 * gave one instead of keeping the password.
 */
import { helperErase, helperFor, helperStore } from './credential-helper.js';
import { writeConfigFile, type ConfigFile } from './docker-config.js';

export interface Login {
  username: string;
  /** Empty when the registry answered with an identity token. */
  password: string;
  identitytoken?: string;
}

/**
 * Stores `login` for `serverAddress`; says whether a password went into the file unencrypted
 * just now. Like docker, a file that already holds exactly these credentials is left alone.
 */
export async function storeCredentials(file: ConfigFile, serverAddress: string, login: Login): Promise<{ plaintextPassword: boolean }> {
  const helper = helperFor(file.config, serverAddress);
  const auths = (file.config.auths ??= {});
  if (helper) {
    await helperStore(helper, serverAddress, login);
    auths[serverAddress] = {};
  } else {
    const entry = {
      auth: Buffer.from(`${login.username}:${login.password}`).toString('base64'),
      ...(login.identitytoken ? { identitytoken: login.identitytoken } : {}),
    };
    if (JSON.stringify(auths[serverAddress]) === JSON.stringify(entry)) return { plaintextPassword: false };
    auths[serverAddress] = entry;
  }
  await writeConfigFile(file);
  return { plaintextPassword: !helper && login.password !== '' };
}

/**
 * Removes what is stored for each address (docker tries the address as given and the forms older
 * versions saved it under). Returns the addresses whose removal failed, with why; the file is
 * rewritten only when an entry went away.
 */
export async function eraseCredentials(file: ConfigFile, addresses: string[]): Promise<Array<[string, string]>> {
  const failures: Array<[string, string]> = [];
  let changed = false;
  for (const address of addresses) {
    if (file.config.auths && Object.hasOwn(file.config.auths, address)) {
      delete file.config.auths[address];
      changed = true;
    }
    const helper = helperFor(file.config, address);
    if (!helper) continue;
    try {
      await helperErase(helper, address);
    } catch (error) {
      failures.push([address, (error as Error).message]);
    }
  }
  if (changed) await writeConfigFile(file);
  return failures;
}
