import type http from 'node:http';
import type { Params } from './router.js';
import type { StdioConnection } from './stdio-connection.js';

export interface RouteContext {
  req: http.IncomingMessage;
  method: string;
  /** The path without its `/vX.Y` prefix. */
  path: string;
  params: Params;
  query: URLSearchParams;
  /** The API version the client asked for (the server's own without a prefix). */
  version: string;
}

export type PlainHandler = (context: RouteContext, res: http.ServerResponse) => Promise<void> | void;

/** Attach and exec start: the answer takes over the connection, which also carries the body. */
export type StdioHandler = (context: RouteContext, connection: StdioConnection) => Promise<void>;

export type Route = { kind: 'plain'; handle: PlainHandler } | { kind: 'stdio'; handle: StdioHandler };

export const plain = (handle: PlainHandler): Route => ({ kind: 'plain', handle });
export const stdio = (handle: StdioHandler): Route => ({ kind: 'stdio', handle });
