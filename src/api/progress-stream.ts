import type http from 'node:http';
import { progressText } from '../common/json-progress.js';
import { errorResponse } from './error-status.js';
import type { ProgressEvent } from '../image/progress.js';

/** The daemon has no terminal: Docker renders its progress text for 200 columns (bar and counts). */
const DAEMON_WIDTH = 200;

/** One message of Docker's JSON progress stream for an engine progress event. */
export function progressMessage(event: ProgressEvent): Record<string, unknown> {
  const message: Record<string, unknown> = { status: event.status };
  if (event.current !== undefined && event.total !== undefined && (event.current > 0 || event.total > 0)) {
    message.progressDetail = { current: event.current, total: event.total };
    message.progress = progressText({ current: event.current, total: event.total }, DAEMON_WIDTH);
  } else if (event.id !== undefined) {
    message.progressDetail = {};
  }
  if (event.id !== undefined) message.id = event.id;
  return message;
}

/**
 * Docker's JSON message stream for pull, push, load and import. The 200 head goes out with the first
 * message, so a failure before any progress (an unknown image, bad credentials) is still an
 * HTTP error with its proper status; after that, errors travel in the stream as
 * `{"errorDetail":{"message":...},"error":...}`. A client that goes away aborts the work.
 */
export class ProgressStream {
  private readonly controller = new AbortController();

  constructor(private readonly res: http.ServerResponse) {
    res.on('close', () => {
      if (!res.writableFinished) this.controller.abort(new Error('the client went away'));
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get started(): boolean {
    return this.res.headersSent;
  }

  private writeLine(value: object): void {
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!this.res.destroyed) this.res.write(`${JSON.stringify(value)}\r\n`);
  }

  readonly progress = (event: ProgressEvent): void => this.writeLine(progressMessage(event));

  /** A line with no progress fields (load's `{"stream": ...}`, push's `{"aux": ...}`). */
  raw(value: object): void {
    this.writeLine(value);
  }

  end(): void {
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': 'application/json' });
    this.res.end();
  }

  /** Reports a failure in the stream when it has started; otherwise rethrows it for an HTTP error. */
  fail(error: unknown): void {
    if (!this.started) throw error;
    const { message } = errorResponse(error);
    this.writeLine({ errorDetail: { message }, error: message });
    this.res.end();
  }
}
