import { Agent, createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The only address test servers listen on and test requests go to. */
export const LOCALHOST = '127.0.0.1';

// An agent of our own, because the global agent follows HTTP_PROXY when NODE_USE_ENV_PROXY is set.
const directAgent = new Agent();

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** A keep-alive agent, to check that connections are reused. */
  agent?: Agent;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection closed before the whole body came. */
  complete: boolean;
  reusedSocket: boolean;
}

/**
 * One HTTP request to 127.0.0.1, body read whole. A body cut short resolves with `complete: false`
 * rather than rejecting, so tests can check how much of it came.
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  if (target.hostname !== LOCALHOST) return Promise.reject(new Error(`test requests only go to ${LOCALHOST}, not ${target.host}`));
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request(target, { method: options.method ?? 'GET', headers, agent: options.agent ?? directAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => {}); // a cut body: reported by `complete`
      res.on('close', () => resolve({
        status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete, reusedSocket: req.reusedSocket,
      }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Listens on 127.0.0.1 (any free port unless one is given) and returns the port. */
export async function listenLocal(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOCALHOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes a server and its idle keep-alive connections; does nothing when it is not listening. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A port free on 127.0.0.1 right now, for a program that must be told its port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenLocal(server);
  await closeServer(server);
  return port;
}
