import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOCALHOST, closeServer, listenLocal, sendJson } from './http.js';

const run = promisify(execFile);

export const TOKEN_SERVICE = 'berth-test-registry';
export const TOKEN_ISSUER = 'berth-test-token-issuer';
const TOKEN_LIFETIME_SECONDS = 300;

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/**
 * The token server of distribution's token auth (docs/spec/auth/token.md), in process: GET /token
 * answers a JWT signed with a key whose self-signed certificate the registry trusts
 * (auth.token.rootcertbundle). Anonymous callers may pull, known users get what they ask for,
 * wrong credentials get 401.
 */
export class TokenServer {
  /** Every request received, whatever its answer. */
  requests = 0;
  private port = 0;
  private readonly server = createServer((req, res) => this.answer(req, res));

  private constructor(
    readonly certFile: string,
    private readonly key: KeyObject,
    private readonly certificateDer: string,
    private readonly users: Readonly<Record<string, string>>,
  ) {}

  static async start(dir: string, users: Readonly<Record<string, string>>): Promise<TokenServer> {
    const keyFile = join(dir, 'token-key.pem');
    const certFile = join(dir, 'token-cert.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${TOKEN_ISSUER}`]);
    const key = createPrivateKey(await readFile(keyFile));
    const certificate = new X509Certificate(await readFile(certFile));
    const server = new TokenServer(certFile, key, certificate.raw.toString('base64'), users);
    server.port = await listenLocal(server.server);
    return server;
  }

  get realm(): string {
    return `http://${LOCALHOST}:${this.port}/token`;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests += 1;
    const url = new URL(req.url ?? '/', this.realm);
    if (req.method !== 'GET' || url.pathname !== '/token') return sendJson(res, 404, { details: 'only GET /token is served here' });
    const user = this.caller(req.headers.authorization);
    if (user === undefined) {
      res.setHeader('WWW-Authenticate', 'Basic realm="berth-test-token-server"');
      return sendJson(res, 401, { details: 'wrong user name or password' });
    }
    // A client that leaves out or garbles service or scope has a bug the tests should see.
    const service = url.searchParams.get('service');
    if (service !== TOKEN_SERVICE) return sendJson(res, 400, { details: `unknown service ${JSON.stringify(service)}` });
    const requested = parseScopes(url.searchParams.getAll('scope'));
    if (requested === undefined) return sendJson(res, 400, { details: 'malformed scope' });
    const token = this.issue(user, grant(requested, user));
    sendJson(res, 200, { token, access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, issued_at: new Date().toISOString() });
  }

  /** The user the request authenticates as: '' for anonymous, undefined for wrong credentials. */
  private caller(authorization: string | undefined): string | undefined {
    if (authorization === undefined) return '';
    const [scheme, encoded = ''] = authorization.split(' ');
    if (scheme.toLowerCase() !== 'basic') return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString();
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    return colon > 0 && Object.hasOwn(this.users, user) && this.users[user] === decoded.slice(colon + 1) ? user : undefined;
  }

  /** A JWT as distribution's token auth verifies it: RS256, the signing certificate in x5c. */
  private issue(subject: string, access: Access[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [this.certificateDer] };
    const claims = { iss: TOKEN_ISSUER, sub: subject, aud: TOKEN_SERVICE, exp: now + TOKEN_LIFETIME_SECONDS, nbf: now, iat: now, jti: randomUUID(), access };
    const signed = `${base64url(header)}.${base64url(claims)}`;
    return `${signed}.${sign('sha256', Buffer.from(signed), this.key).toString('base64url')}`;
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `type:name:action,action` scopes, several per parameter when space-separated; undefined if one is malformed. */
function parseScopes(parameters: string[]): Access[] | undefined {
  const scopes = parameters.flatMap((parameter) => parameter.split(' ')).filter(Boolean);
  const parsed = scopes.map((scope) => {
    const parts = scope.split(':');
    if (parts.length < 3) return undefined;
    // A name may hold a colon (a registry host with a port), so it is everything between type and actions.
    return { type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1].split(',').filter(Boolean) };
  });
  return parsed.every((access): access is Access => access !== undefined) ? parsed : undefined;
}

/** What a caller gets: a user everything asked for, an anonymous caller only pull on repositories. */
function grant(requested: Access[], user: string): Access[] {
  if (user !== '') return requested;
  return requested.map((access) => ({ ...access, actions: access.type === 'repository' ? access.actions.filter((action) => action === 'pull') : [] }));
}
