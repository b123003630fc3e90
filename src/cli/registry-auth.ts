/**
 * Which credentials go with a registry, and the X-Registry-Auth header that takes them to the
 * daemon, as the docker CLI does it. The config's `auths` entry for the registry is used (Docker
 * Hub's key is `https://index.docker.io/v1/`, others are `host[:port]`; older files may say
 * `https://host/v2/`), or the credential helper the config names. The header is base64url of the
 * JSON, and `{}` when there are no credentials: docker always sends one.
 */
import { helperFor, helperGet } from './credential-helper.js';
import { configDir, loadConfigForReading, type AuthEntry, type DockerConfig } from './docker-config.js';
import { defaultDomain } from '../common/image-reference.js';

export const INDEX_SERVER = 'https://index.docker.io/v1/';

/** registry.AuthConfig as the API takes it (in its JSON field order). */
export interface AuthConfig {
  username?: string;
  password?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

const FIELD_ORDER = ['username', 'password', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const;

/** credentials.ConvertToHostname: `https://host:5000/v2/` -> `host:5000`. */
export function convertToHostname(address: string): string {
  const bare = address.replace(/^https?:\/\//, '');
  return bare.split('/')[0]!;
}

/** The config key for a registry's credentials: Docker Hub keeps its historic v1 URL. */
export function authKeyForDomain(domain: string): string {
  return domain === defaultDomain ? INDEX_SERVER : domain;
}

/** An `auths` entry with `auth` decoded; the server address is the key it was found under. */
function decodeEntry(key: string, entry: AuthEntry): AuthConfig {
  let { username, password } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '');
    }
  }
  const out: AuthConfig = { username, password, email: entry.email, serveraddress: key, identitytoken: entry.identitytoken, registrytoken: entry.registrytoken };
  return compact(out);
}

function compact(auth: AuthConfig): AuthConfig {
  const out: AuthConfig = {};
  for (const field of FIELD_ORDER) if (auth[field]) out[field] = auth[field];
  return out;
}

/** docker's file store lookup: the entry under `key`, else one whose key names the same host. */
export function fileCredentials(config: DockerConfig, key: string): AuthConfig {
  const auths = config.auths ?? {};
  const found = Object.hasOwn(auths, key) ? key : Object.keys(auths).find((k) => convertToHostname(k) === key);
  return found === undefined ? {} : decodeEntry(found, auths[found] ?? {});
}

/**
 * The credentials stored for `key`, from the credential helper when the config names one (only
 * the email then comes from the file, as docker does), else from the file.
 */
export async function storedCredentials(config: DockerConfig, key: string): Promise<AuthConfig> {
  const file = fileCredentials(config, key);
  const helper = helperFor(config, key);
  if (!helper) return file;
  const found = await helperGet(helper, key);
  return compact({ email: file.email, ...found, serveraddress: found ? key : undefined });
}

/** The X-Registry-Auth value: base64url (padded, RFC 4648 §5) of the AuthConfig JSON. */
export function encodeAuthHeader(auth: AuthConfig): string {
  return Buffer.from(JSON.stringify(compact(auth))).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The header for pulling from or pushing to `domain`. Like docker, a config or helper that cannot
 * be read means no credentials rather than a failed command.
 */
export async function registryAuthHeader(configDirFlag: string | undefined, domain: string): Promise<string> {
  const config = await loadConfigForReading(configDir(configDirFlag));
  const auth = await storedCredentials(config, authKeyForDomain(domain)).catch((): AuthConfig => ({}));
  return encodeAuthHeader(auth);
}
