import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { LOCALHOST, closeServer, listenLocal, sendJson } from './http.js';

const BLOB_PATH = /^\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/;
// Headers about one connection, not the message: each side of the proxy has its own.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** A request the proxy received, with the status it was answered with (once it was). */
export interface ProxiedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  status?: number;
}

interface UploadHold {
  bytes: number;
  reached: () => void;
}

/**
 * An HTTP proxy in front of a registry that passes traffic through unchanged, streaming bodies
 * both ways, and records the requests, until a test arms a fault: blob downloads cut after some
 * bytes, requests answered with an error status without reaching the registry, or an upload
 * held (its body no longer read) partway.
 */
export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  private port = 0;
  private cut = { bytes: 0, times: 0 };
  private failure: { status: number; times: number; method?: string } = { status: 0, times: 0 };
  private hold: UploadHold | undefined;
  private readonly upstream = new Agent({ keepAlive: true });
  private readonly server = createServer((req, res) => this.forward(req, res));

  private constructor(private readonly upstreamPort: number) {}

  static async start(upstreamPort: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstreamPort);
    proxy.port = await listenLocal(proxy.server);
    return proxy;
  }

  get host(): string {
    return `${LOCALHOST}:${this.port}`;
  }

  /** The next `times` GETs of a blob send `bytes` bytes of body, then lose their connection. */
  cutBlobDownloadsAfter(bytes: number, times: number): void {
    this.cut = { bytes, times };
  }

  /** The next `times` requests (of `method`, when given) are answered with `status` by the proxy itself. */
  failNextRequests(status: number, times: number, method?: string): void {
    this.failure = { status, times, ...(method === undefined ? {} : { method }) };
  }

  /**
   * The next PATCH's body is relayed for `bytes` bytes, then no longer read, so the client's
   * stream backs up; resolves when that point is reached.
   */
  holdNextUploadAfter(bytes: number): Promise<void> {
    return new Promise((reached) => {
      this.hold = { bytes, reached };
    });
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    this.upstream.destroy();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const record: ProxiedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    this.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    if (this.failure.times > 0 && (this.failure.method === undefined || this.failure.method === req.method)) {
      this.failure.times -= 1;
      req.resume();
      return sendJson(res, this.failure.status, { errors: [{ code: 'UNAVAILABLE', message: 'failure injected by the test proxy' }] });
    }
    const cutAfter = this.takeCut(req);
    // The Host header goes through as it came, so the registry's upload Locations point back at the proxy.
    const upstreamReq = request({ host: LOCALHOST, port: this.upstreamPort, method: req.method, path: req.url, headers: endToEnd(req.headers), agent: this.upstream }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEnd(upstreamRes.headers));
      relay(upstreamRes, res, cutAfter);
    });
    upstreamReq.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 502, { errors: [{ code: 'UNAVAILABLE', message: `test proxy: registry unreachable: ${error.message}` }] });
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy(); // the client went away
    });
    req.pipe(upstreamReq);
    const hold = req.method === 'PATCH' ? this.hold : undefined;
    if (hold !== undefined) {
      this.hold = undefined;
      let relayed = 0;
      req.on('data', (chunk: Buffer) => {
        if (relayed >= hold.bytes) return;
        relayed += chunk.length;
        if (relayed < hold.bytes) return;
        req.unpipe(upstreamReq);
        req.pause();
        hold.reached();
      });
    }
  }

  /** How many body bytes this request's response may send before its connection is cut. */
  private takeCut(req: IncomingMessage): number {
    const path = new URL(req.url ?? '/', `http://${LOCALHOST}`).pathname;
    if (this.cut.times === 0 || req.method !== 'GET' || !BLOB_PATH.test(path)) return Infinity;
    this.cut.times -= 1;
    return this.cut.bytes;
  }
}

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/**
 * Streams a response body with backpressure. When more than `cutAfter` bytes come, it sends that
 * many, then ends the connection mid-body so the client sees a premature close.
 */
function relay(from: IncomingMessage, to: ServerResponse, cutAfter: number): void {
  let budget = cutAfter;
  from.on('data', (chunk: Buffer) => {
    if (chunk.length > budget) {
      from.destroy();
      // Writing (even nothing) sends the headers; destroySoon closes only after that is flushed.
      to.write(chunk.subarray(0, budget));
      to.socket?.destroySoon();
      return;
    }
    budget -= chunk.length;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
}
