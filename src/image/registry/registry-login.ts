import { BerthError, invalidArgument } from '../../common/errors.js';
import { defaultDomain } from '../../common/image-reference.js';
import type { RegistryAccess } from './registry-access.js';
import { RegistryError } from './registry-errors.js';
import { discardBody } from './registry-http.js';
import type { RegistryCredentials } from './registry-session.js';

const dockerHubAliases = new Set(['', 'docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry domain a login server address names: Docker Hub's many spellings
 * (`https://index.docker.io/v1/`, `docker.io`, none) become `docker.io`; otherwise the
 * scheme and any path are dropped (`http://localhost:5000/v2/` → `localhost:5000`).
 */
export function registryDomainOf(serverAddress: string): string {
  const trimmed = serverAddress.trim().replace(/^[a-z]+:\/\//i, '');
  const host = trimmed.split('/')[0]!.toLowerCase();
  if (dockerHubAliases.has(host)) return defaultDomain;
  if (!/^[a-z0-9.\-[\]:]+$/.test(host)) throw invalidArgument(`invalid registry address: ${serverAddress}`);
  return host;
}

export interface LoginResult {
  Status: string;
  IdentityToken: string;
}

/**
 * `POST /auth`: checks credentials against the registry the way a pull would use them
 * (Basic on `/v2/`, or a token from the registry's token server). berthd keeps nothing:
 * the client stores the credentials (docker's config.json) and sends them with each pull.
 */
export async function login(registries: RegistryAccess, serverAddress: string, credentials: RegistryCredentials): Promise<LoginResult> {
  const domain = registryDomainOf(serverAddress);
  const client = registries.client(domain, credentials);
  try {
    discardBody(await client.session.send({ method: 'GET', path: '/v2/', scopes: [] }, [200]));
  } catch (error) {
    if (error instanceof RegistryError && error.status === 401) {
      const base = client.session.baseUrl ?? `https://${domain}`;
      const detail = error.message.startsWith('Get "') ? error.message : `login attempt to ${base}/v2/ failed with status: 401 Unauthorized`;
      throw new BerthError('unauthorized', detail);
    }
    throw error;
  }
  return { Status: 'Login Succeeded', IdentityToken: '' };
}
