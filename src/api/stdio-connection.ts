import http from 'node:http';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { invalidArgument } from '../common/errors.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import type { TakenConnection } from './connection-gate.js';
import { errorResponse } from './error-status.js';
import { closeSignal, commonHeaders, errorBody } from './http-io.js';
import { jsonPrefixEnd } from './json-prefix.js';

/** Where a stdio stream goes once the connection is taken over. */
export interface StdioChannel {
  out: Writable;
  /** The client's stdin bytes. */
  input: Readable;
  /** Settles when the client goes away. */
  closed: Promise<'closed'>;
}

/**
 * The connection an attach or exec start answers on. Before `open` it can still
 * answer like any request (an error, or an empty 200 for a detached exec); `open`
 * sends the stream's head and hands over the raw connection.
 */
export interface StdioConnection {
  readonly opened: boolean;
  /** Reads the request's options (exec start's JSON); this or `skipBody` comes before `open`. */
  readOptions(): Promise<Buffer>;
  /** Reads past a body that holds no stdin (dockerode sends its attach options as one). */
  skipBody(): Promise<void>;
  fail(error: unknown): void;
  respondEmpty(status: number): void;
  open(contentType: string): StdioChannel;
  /** Drops the connection after a failure in the middle of a stream. */
  destroy(): void;
}

/** A request body larger than this is refused rather than held in memory. */
const maxBody = 1024 * 1024;

function headText(statusLine: string, headers: Record<string, string | number>): string {
  let text = `HTTP/1.1 ${statusLine}\r\n`;
  for (const [name, value] of Object.entries({ ...headers, ...commonHeaders })) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/**
 * How the request frames its body. After `Upgrade: tcp` everything past a
 * declared length is raw stdin, so a chunked body is refused there. Without
 * Upgrade, a chunked body *is* stdin (less the exec options at its start), and
 * its last chunk is stdin's end.
 */
type Framing = { kind: 'length'; length: number } | { kind: 'chunked' };

function framingOrError(req: http.IncomingMessage): Framing | Error {
  try {
    return framingOf(req);
  } catch (error) {
    return error as Error;
  }
}

function framingOf(req: http.IncomingMessage): Framing {
  if (req.headers['transfer-encoding'] !== undefined) {
    if (req.headers.upgrade !== undefined) throw invalidArgument('a chunked request body cannot be sent with Upgrade: tcp');
    if (req.headers['transfer-encoding'].trim().toLowerCase() !== 'chunked') {
      throw invalidArgument(`unsupported Transfer-Encoding: ${req.headers['transfer-encoding']}`);
    }
    return { kind: 'chunked' };
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(length) || length < 0) throw invalidArgument('invalid Content-Length');
  if (length > maxBody) throw invalidArgument(`request body is larger than ${maxBody} bytes`);
  return { kind: 'length', length };
}

/**
 * Reads `stream` until `prefixEnd` finds where a prefix ends, puts the rest back,
 * and gives the prefix (all of the stream when it ends first, with complete false).
 */
function readPrefix(stream: Readable, prefixEnd: (bytes: Buffer) => number | undefined): Promise<{ prefix: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (): void => {
      stream.pause();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = prefixEnd(buffered);
      if (end === undefined) {
        if (buffered.length > maxBody) {
          finish();
          reject(invalidArgument(`request body is larger than ${maxBody} bytes`));
        }
        return;
      }
      finish();
      if (end < buffered.length) stream.unshift(buffered.subarray(end));
      resolve({ prefix: buffered.subarray(0, end), complete: true });
    };
    const onEnd = (): void => {
      finish();
      resolve({ prefix: buffered, complete: false });
    };
    const onError = (error: Error): void => {
      finish();
      reject(error);
    };
    const immediate = prefixEnd(buffered);
    if (immediate === 0) {
      resolve({ prefix: buffered, complete: true });
      return;
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}

/**
 * An attach or exec start that took its connection from the HTTP server (with
 * or without `Upgrade: tcp`, see ConnectionGate): the body is read here and
 * everything is written by hand, as dockerd does after hijacking: `101 UPGRADED`
 * or `200 OK`, then the raw stream both ways.
 */
export class HijackedConnection implements StdioConnection {
  opened = false;
  private readonly socket: Socket;
  /** An unreadable framing is reported when the body is read, so the answer is an error, not a dropped connection. */
  private readonly framing: Framing | Error;
  /** The client's bytes after the head, chunk framing removed. */
  private readonly payload: Readable;
  private bodyRead = false;

  constructor(
    private readonly req: http.IncomingMessage,
    { socket, input }: TakenConnection,
  ) {
    this.socket = socket;
    // The client half-closes when its stdin ends; output must still flow back.
    socket.allowHalfOpen = true;
    // A vanished client (EPIPE, ECONNRESET) ends in 'close', which the stream code watches.
    socket.on('error', () => undefined);
    this.framing = framingOrError(req);
    if (!(this.framing instanceof Error) && this.framing.kind === 'chunked') {
      const decoder = new ChunkedDecoder();
      // Bad framing after the head is out can only end the connection; before, readBody reports it.
      decoder.on('error', () => {
        if (this.opened) socket.destroy();
      });
      this.payload = input.pipe(decoder);
    } else {
      this.payload = input;
    }
    this.payload.pause();
  }

  async readOptions(): Promise<Buffer> {
    const framing = this.framingToRead();
    if (framing.kind === 'chunked') return (await readPrefix(this.payload, jsonPrefixEnd)).prefix;
    return this.readDeclared(framing.length);
  }

  async skipBody(): Promise<void> {
    const framing = this.framingToRead();
    if (framing.kind === 'length') await this.readDeclared(framing.length);
  }

  private framingToRead(): Framing {
    if (this.framing instanceof Error) throw this.framing;
    this.bodyRead = true;
    return this.framing;
  }

  private async readDeclared(length: number): Promise<Buffer> {
    const { prefix, complete } = await readPrefix(this.payload, (bytes) => (bytes.length >= length ? length : undefined));
    if (!complete) throw invalidArgument('unexpected EOF while reading the request body');
    return prefix;
  }

  private answerAndClose(head: string, body?: Buffer): void {
    if (this.socket.destroyed) return;
    this.socket.write(head);
    if (body === undefined) this.socket.end();
    else this.socket.end(body);
    // Read on so the client's end is seen and the socket is released.
    this.payload.resume();
  }

  fail(error: unknown): void {
    const { status, message } = errorResponse(error);
    const statusLine = `${status} ${http.STATUS_CODES[status] ?? ''}`;
    if (status === 304) {
      this.answerAndClose(headText(statusLine, { Connection: 'close' }));
      return;
    }
    const body = errorBody(message);
    this.answerAndClose(
      headText(statusLine, { 'Content-Type': 'application/json', 'Content-Length': body.length, Connection: 'close' }),
      body,
    );
  }

  respondEmpty(status: number): void {
    this.answerAndClose(headText(`${status} ${http.STATUS_CODES[status] ?? ''}`, { 'Content-Length': 0, Connection: 'close' }));
  }

  open(contentType: string): StdioChannel {
    if (!this.bodyRead) throw new Error('the request body must be read or skipped before the stream opens');
    this.opened = true;
    const wantsUpgrade = this.req.headers.upgrade !== undefined;
    this.socket.write(
      wantsUpgrade
        ? headText('101 UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' })
        : headText('200 OK', { 'Content-Type': contentType, Connection: 'close' }),
    );
    return { out: this.socket, input: this.payload, closed: closeSignal(this.socket).closed };
  }

  destroy(): void {
    this.socket.destroy();
  }
}
