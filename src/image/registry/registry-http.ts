import http from 'node:http';
import https from 'node:https';
import { type Readable, finished } from 'node:stream';
import { BerthError } from '../../common/errors.js';

/**
 * HTTP for registry traffic: keep-alive agents (a pull makes many requests to one host),
 * redirects followed for reads (blobs are often served from storage elsewhere), and
 * network failures described the way docker users know them from Go
 * (`Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`).
 */

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
  httpsUnverified: new https.Agent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false }),
};

/** A socket that stays silent this long is given up on (and a download may resume). */
const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 10;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** TLS without certificate checks, for registries configured as insecure. */
  skipVerify?: boolean;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  /** Where the answer came from, after redirects. */
  url: URL;
}

/** A failure below HTTP (connect, TLS, reset), worded as Go's net/http does. */
export class TransportError extends BerthError {
  constructor(
    message: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super('unavailable', message, { cause });
  }
}

function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

function describeNetworkError(error: unknown, url: URL): string {
  const code = (error as { code?: string }).code;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const address = `${url.hostname}:${port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ETIMEDOUT':
      return `dial tcp ${address}: i/o timeout`;
    case 'ECONNRESET':
      return `read tcp ${address}: read: connection reset by peer`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'http: server gave HTTP response to HTTPS client';
    default:
      return (error as Error).message;
  }
}

export function transportError(method: string, url: URL, error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as { code?: string }).code;
  return new TransportError(`${goMethod(method)} "${url.href}": ${describeNetworkError(error, url)}`, code, error);
}

function sendOnce(request: HttpRequest, url: URL): Promise<http.IncomingMessage> {
  const secure = url.protocol === 'https:';
  const agent = secure ? (request.skipVerify === true ? agents.httpsUnverified : agents.https) : agents.http;
  const send = secure ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: request.method, headers: request.headers ?? {}, agent, signal: request.signal }, resolve);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => reject(transportError(request.method, url, error)));
    const body = request.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      // finished, not an 'error' listener: a body that failed before the request was made fails it too.
      finished(body, (error) => {
        if (error) req.destroy(error);
      });
      body.pipe(req);
    }
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Sends a request; GET and HEAD follow redirects, without credentials once they leave the host. */
export async function sendRequest(request: HttpRequest): Promise<HttpAnswer> {
  let url = request.url;
  let headers = request.headers ?? {};
  for (let redirects = 0; ; redirects += 1) {
    const response = await sendOnce({ ...request, headers }, url);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    const followable = request.method === 'GET' || request.method === 'HEAD';
    if (!followable || !isRedirect(status) || location === undefined) return { status, headers: response.headers, body: response, url };
    response.resume();
    if (redirects === MAX_REDIRECTS) throw new TransportError(`${goMethod(request.method)} "${url.href}": stopped after ${MAX_REDIRECTS} redirects`, undefined, undefined);
    const next = new URL(location, url);
    if (next.host !== url.host) {
      const { Authorization: _dropped, authorization: _alsoDropped, ...rest } = headers;
      headers = rest;
    }
    url = next;
  }
}

/** Reads a whole (small) body; a body over the limit is refused rather than buffered. */
export async function readBody(answer: HttpAnswer, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        answer.body.destroy();
        throw new BerthError('invalid-argument', `answer from ${answer.url.href} is larger than ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BerthError) throw error;
    throw transportError('GET', answer.url, error);
  }
  return Buffer.concat(chunks);
}

/** Discards a body so its keep-alive socket can serve the next request. */
export function discardBody(answer: HttpAnswer): void {
  answer.body.resume();
}
