import type http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { invalidArgument } from '../common/errors.js';

const headEnd = Buffer.from('\r\n\r\n');

/**
 * Splits `chunk` just after every CRLF CRLF, counting one that began in `tail`
 * (the last bytes of the stream before `chunk`). Node's parser ends a request
 * head only there, so a piece that completes a head ends exactly where it does.
 */
export function splitAfterHeadEnds(tail: Buffer, chunk: Buffer): Buffer[] {
  const joined = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
  const pieces: Buffer[] = [];
  let start = 0;
  for (let at = joined.indexOf(headEnd); at !== -1; at = joined.indexOf(headEnd, at + 1)) {
    const end = at + headEnd.length - tail.length;
    if (end > start) {
      pieces.push(chunk.subarray(start, end));
      start = end;
    }
  }
  if (start < chunk.length) pieces.push(chunk.subarray(start));
  return pieces;
}

/** A connection an attach or exec start took from the HTTP server. */
export interface TakenConnection {
  socket: Socket;
  /** The client's bytes after the request head, ending when the client half-closes. */
  input: Readable;
}

/**
 * Stands between a client's socket and Node's HTTP parser. Node lets only an
 * `Upgrade` request leave its parser, but attach and exec start without one
 * still carry stdin after the head (dockerode writes it after its JSON body,
 * raw clients right after the head, as dockerd hijacks every such request), and
 * Node would parse those bytes as the next request. So the parser is handed one
 * piece at a time, each ending at most at a head's end; when a request takes the
 * connection over during its head, nothing after the head has reached the parser,
 * and the raw socket goes to the request with every later byte.
 */
export class ConnectionGate extends Duplex {
  private queue: Buffer[] = [];
  private tail = Buffer.alloc(0);
  private socketEnded = false;
  /** The piece the parser read last: during a 'request' event, the one that ended its head. */
  private lastDelivered: Buffer | undefined;
  private claim: ((taken: TakenConnection) => void) | undefined;
  private handedOver = false;

  constructor(readonly socket: Socket) {
    super({ allowHalfOpen: true });
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
    this.on('resume', () => this.feed());
    // Registered before the HTTP server's own listener, so it runs first.
    this.on('data', (piece: Buffer) => {
      this.lastDelivered = piece;
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.queue.push(...splitAfterHeadEnds(this.tail, chunk));
    this.tail = Buffer.from((this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk])).subarray(-(headEnd.length - 1)));
    this.feed();
  };

  private readonly onEnd = (): void => {
    this.socketEnded = true;
    this.feed();
  };

  private readonly onError = (error: Error): void => {
    this.destroy(error);
  };

  private readonly onClose = (): void => {
    this.destroy();
  };

  private readonly onTimeout = (): void => {
    this.emit('timeout');
  };

  /**
   * Pushes pieces while the parser takes them at once, so that at most one piece
   * is ever inside it; the socket waits while the parser is paused.
   */
  private feed(): void {
    while (this.claim === undefined && this.queue.length > 0 && this.readableFlowing === true && this.readableLength === 0 && !this.destroyed) {
      this.push(this.queue.shift()!);
    }
    if (this.claim !== undefined) {
      this.handOver(this.claim);
      return;
    }
    if (this.queue.length > 0) this.socket.pause();
    else if (this.socketEnded) this.push(null);
    else this.socket.resume();
  }

  /**
   * Takes the connection for the request whose head the parser is reading now;
   * call it from the 'request' listener, before anything is awaited.
   */
  takeOver(): Promise<TakenConnection> {
    const piece = this.lastDelivered;
    if (piece === undefined || !piece.subarray(-headEnd.length).equals(headEnd)) {
      return Promise.reject(invalidArgument('a request head must end with CRLF CRLF'));
    }
    return new Promise((resolve) => {
      this.claim = resolve;
    });
  }

  private handOver(claim: (taken: TakenConnection) => void): void {
    const { socket } = this;
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('timeout', this.onTimeout);
    socket.setTimeout(0);
    const input = new PassThrough();
    for (const piece of this.queue) input.write(piece);
    this.queue = [];
    if (this.socketEnded) input.end();
    else socket.pipe(input);
    this.handedOver = true;
    // The HTTP server forgets the request; the socket is the taker's now.
    this.destroy();
    claim({ socket, input });
  }

  override _read(): void {
    setImmediate(() => this.feed());
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.handedOver) this.socket.destroy(error ?? undefined);
    callback(error);
  }

  /** The HTTP server's keep-alive and request timeouts act on the real socket. */
  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms);
    if (callback !== undefined) this.once('timeout', callback);
    return this;
  }

  destroySoon(): void {
    this.end(() => this.destroy());
  }
}

/** Takes the connection of `req` over; see ConnectionGate.takeOver. */
export function takeOver(req: http.IncomingMessage): Promise<TakenConnection> {
  const gate: unknown = req.socket;
  if (!(gate instanceof ConnectionGate)) return Promise.reject(new Error('the request did not arrive through a ConnectionGate'));
  return gate.takeOver();
}
