import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BerthError } from '../../common/errors.js';
import { type AuthChallenge, parseChallenges } from './auth-challenge.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError, describeRegistryErrors, isTransient, registryErrorEntries } from './registry-errors.js';
import type { RegistryEndpoint, RegistryHosts } from './registry-hosts.js';
import { type HttpAnswer, TransportError, discardBody, readBody, sendRequest } from './registry-http.js';

/** Credentials for one registry, as X-Registry-Auth or `docker login` gives them. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token a registry handed out at login. */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

/** The Basic `Authorization` value for a username and password, when both are there. */
function basicAuthorization(credentials: RegistryCredentials | undefined): string | undefined {
  if (credentials?.username === undefined || credentials.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** Extra tries of a read that failed transiently, the first after this delay (then doubling). */
const READ_RETRIES = 3;
const READ_RETRY_DELAY_MS = 200;

interface CachedToken {
  token: string;
  expires: number;
}

/**
 * Bearer tokens by realm, service, scopes and user, shared by every session of the daemon
 * so a pull of many layers (and the next pull) asks the token server once.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();

  /** The cached token, or one fetched once however many requests want it at the same moment. */
  async obtain(key: string, renew: boolean, fetch: () => Promise<{ token: string; lifetime: number }>): Promise<string> {
    const cached = renew ? undefined : this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.inFlight.get(key);
    if (pending !== undefined && !renew) return pending;
    const fetching = fetch().then(({ token, lifetime }) => {
      this.set(key, token, lifetime);
      return token;
    });
    this.inFlight.set(key, fetching);
    try {
      return await fetching;
    } finally {
      if (this.inFlight.get(key) === fetching) this.inFlight.delete(key);
    }
  }

  get(key: string): string | undefined {
    const cached = this.tokens.get(key);
    if (cached === undefined) return undefined;
    if (cached.expires <= Date.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return cached.token;
  }

  set(key: string, token: string, lifetimeSeconds: number): void {
    // Renew a little early so a token never expires between choosing it and using it.
    this.tokens.set(key, { token, expires: Date.now() + Math.max(lifetimeSeconds - 10, 5) * 1000 });
  }
}

export interface SessionRequest {
  method: string;
  /** Path below the endpoint, e.g. `/v2/library/busybox/manifests/latest`, or a full URL the registry gave. */
  path: string;
  /** Token scopes the request needs, e.g. `repository:library/busybox:pull`. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
  /** Whether a read may be retried here; off when the caller retries itself (blob downloads resume). */
  retry?: boolean;
}

/** Statuses the caller handles itself; anything else becomes a RegistryError. */
export type ExpectedStatuses = readonly number[];

/**
 * Talks to one registry: picks the endpoint that answers (mirrors, https, then http for
 * insecure registries), learns its auth challenge from `GET /v2/`, and authorizes each
 * request — Basic with the credentials, or a Bearer token for the request's scopes.
 */
export class RegistrySession {
  private endpoint: RegistryEndpoint | undefined;
  private challenge: AuthChallenge | undefined;

  constructor(
    readonly domain: string,
    private readonly hosts: RegistryHosts,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly tokens: TokenCache,
    private readonly options: { forPush?: boolean } = {},
  ) {}

  /** The base URL in use, once a request has chosen one. */
  get baseUrl(): string | undefined {
    return this.endpoint?.url;
  }

  /**
   * Finds the first endpoint that answers `GET /v2/` and learns its challenge. Docker Hub
   * mirrors that fail are skipped; so is https for an insecure registry that speaks http.
   */
  async ping(signal?: AbortSignal): Promise<HttpAnswer> {
    const candidates = this.hosts.endpoints(this.domain).filter((endpoint) => !(this.options.forPush === true && endpoint.mirror));
    let lastError: unknown;
    for (const [index, endpoint] of candidates.entries()) {
      const last = index === candidates.length - 1;
      try {
        const answer = await sendRequest({ method: 'GET', url: new URL('/v2/', endpoint.url), skipVerify: endpoint.skipVerify, ...(signal ? { signal } : {}) });
        if (!last && endpoint.mirror && answer.status >= 500) {
          discardBody(answer);
          continue;
        }
        this.endpoint = endpoint;
        this.challenge = parseChallenges(answer.headers['www-authenticate']).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
        return answer;
      } catch (error) {
        lastError = error;
        if (last || !(error instanceof TransportError)) throw error;
      }
    }
    throw lastError;
  }

  private async ensureEndpoint(signal?: AbortSignal): Promise<RegistryEndpoint> {
    if (this.endpoint === undefined) discardBody(await this.ping(signal));
    return this.endpoint!;
  }

  /**
   * Sends a request with authorization; a 401 with a fresh challenge is answered once. Reads
   * (GET, HEAD) are retried a few times when the registry is briefly unwell (5xx, 429, a
   * dropped connection), as they change nothing.
   */
  async send(request: SessionRequest, expected: ExpectedStatuses = [200]): Promise<HttpAnswer> {
    const idempotent = (request.method === 'GET' || request.method === 'HEAD') && request.retry !== false;
    for (let failures = 0; ; failures += 1) {
      try {
        return await this.sendAuthorized(request, expected);
      } catch (error) {
        if (!idempotent || failures >= READ_RETRIES || request.signal?.aborted === true || !isTransient(error)) throw error;
        await sleep(READ_RETRY_DELAY_MS * 2 ** failures, undefined, request.signal ? { signal: request.signal } : {});
      }
    }
  }

  private async sendAuthorized(request: SessionRequest, expected: ExpectedStatuses): Promise<HttpAnswer> {
    const endpoint = await this.ensureEndpoint(request.signal);
    const url = new URL(request.path, endpoint.url);
    for (let attempt = 0; ; attempt += 1) {
      const authorization = await this.authorization(request.scopes, attempt > 0);
      const answer = await sendRequest({
        method: request.method,
        url,
        headers: { ...(request.headers ?? {}), ...(authorization === undefined ? {} : { Authorization: authorization }) },
        skipVerify: endpoint.skipVerify,
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      if (expected.includes(answer.status)) return answer;
      const retryable = answer.status === 401 && attempt === 0 && (request.body === undefined || Buffer.isBuffer(request.body));
      if (retryable) {
        const challenge = parseChallenges(answer.headers['www-authenticate']).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
        if (challenge !== undefined) {
          this.challenge = challenge;
          discardBody(answer);
          continue;
        }
      }
      throw await this.failure(request.method, url, answer);
    }
  }

  /** A RegistryError from an unexpected answer, with the registry's own error codes and messages. */
  async failure(method: string, url: URL, answer: HttpAnswer): Promise<RegistryError> {
    const body = method === 'HEAD' ? '' : (await readBody(answer, 1024 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
    if (method === 'HEAD') discardBody(answer);
    const entries = registryErrorEntries(body);
    const detail = entries.length > 0 ? describeRegistryErrors(entries) : `unexpected status from ${method} request to ${url.href}: ${answer.status} ${answer.body.statusMessage ?? ''}`.trimEnd();
    return new RegistryError(answer.status, entries, detail);
  }

  private async authorization(scopes: readonly string[], renew: boolean): Promise<string | undefined> {
    const credentials = this.credentials;
    if (credentials?.registryToken) return `Bearer ${credentials.registryToken}`;
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') return basicAuthorization(credentials);
    const realm = challenge.parameters.realm;
    if (realm === undefined) return undefined;
    const service = challenge.parameters.service ?? '';
    const wanted = [...new Set([...scopes, ...(challenge.parameters.scope ? [challenge.parameters.scope] : [])])].sort();
    // The secret is part of the key: a token got with one password must never answer for another.
    const secret = createHash('sha256').update(`${credentials?.username ?? ''}\u0000${credentials?.password ?? ''}\u0000${credentials?.identityToken ?? ''}`).digest('hex');
    const key = [realm, service, secret, ...wanted].join('\u0000');
    return `Bearer ${await this.tokens.obtain(key, renew, () => this.fetchToken(realm, service, wanted))}`;
  }

  private async fetchToken(realm: string, service: string, scopes: readonly string[]): Promise<{ token: string; lifetime: number }> {
    const credentials = this.credentials;
    const url = new URL(realm);
    const skipVerify = this.endpoint?.skipVerify === true && url.host === new URL(this.endpoint.url).host;
    let answer: HttpAnswer;
    if (credentials?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, service, client_id: 'berth' });
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      answer = await sendRequest({ method: 'POST', url, skipVerify, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) });
    } else {
      if (service !== '') url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const basic = basicAuthorization(credentials);
      answer = await sendRequest({ method: 'GET', url, skipVerify, headers: basic === undefined ? {} : { Authorization: basic } });
    }
    const body = await readBody(answer, 1024 * 1024);
    if (answer.status !== 200) {
      const entries = registryErrorEntries(body.toString('utf8'));
      const detail = entries.length > 0 ? describeRegistryErrors(entries) : `${answer.status} ${answer.body.statusMessage ?? ''}`.trimEnd();
      throw new RegistryError(answer.status === 401 ? 401 : answer.status, entries, `Get "${url.origin}${url.pathname}": ${detail}`);
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch (error) {
      throw new BerthError('unavailable', `token server ${url.origin} answered with invalid JSON`, { cause: error });
    }
    const token = parsed.access_token || parsed.token;
    if (!token) throw new BerthError('unavailable', `token server ${url.origin} answered without a token`);
    return { token, lifetime: typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60 };
  }
}
