import type { RegistryCredentials } from '../image/registry/registry-session.js';

interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Credentials from an auth config object (`X-Registry-Auth`'s JSON, or `POST /auth`'s body). */
export function credentialsOf(config: AuthConfig): RegistryCredentials | undefined {
  let { username, password } = config;
  if ((username === undefined || username === '') && typeof config.auth === 'string' && config.auth !== '') {
    const decoded = Buffer.from(config.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const credentials: RegistryCredentials = {
    ...(username ? { username } : {}),
    ...(password !== undefined && username ? { password } : {}),
    ...(config.identitytoken ? { identityToken: config.identitytoken } : {}),
    ...(config.registrytoken ? { registryToken: config.registrytoken } : {}),
  };
  return Object.keys(credentials).length === 0 ? undefined : credentials;
}

/**
 * Decodes `X-Registry-Auth`: base64url (clients also send standard base64) of a JSON auth
 * config. Like dockerd, a header that does not decode means "no credentials", not an error:
 * clients send placeholders such as `e30=` (`{}`).
 */
export function registryAuthHeader(header: string | string[] | undefined): RegistryCredentials | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value.trim(), 'base64url').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return credentialsOf(parsed as AuthConfig);
  } catch {
    return undefined;
  }
}
