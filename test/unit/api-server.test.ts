import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type ApiBackend, createApiServer } from '../../src/api/server.js';
import { invalidArgument, notFound } from '../../src/common/errors.js';
import { EventBus } from '../../src/engine/events.js';
import type {
  AttachOptions,
  ContainerApi,
  ExecApi,
  ExecSession,
  LogsOptions,
  OutputChunk,
  WaitCondition,
  WaitResult,
} from '../../src/engine/types.js';

/** Output a test feeds by hand; records whether the server asked it to stop. */
class OutputFeed implements AsyncIterable<OutputChunk[]> {
  private readonly batches: OutputChunk[][] = [];
  private ended = false;
  private waiting: ((result: IteratorResult<OutputChunk[]>) => void) | undefined;
  returned = false;

  push(...chunks: [OutputChunk['stream'], string][]): void {
    this.batches.push(chunks.map(([stream, text]) => ({ stream, data: Buffer.from(text) })));
    this.deliver();
  }

  end(): void {
    this.ended = true;
    this.deliver();
  }

  private deliver(): void {
    const waiting = this.waiting;
    if (waiting === undefined) return;
    if (this.batches.length > 0) {
      this.waiting = undefined;
      waiting({ done: false, value: this.batches.shift()! });
    } else if (this.ended) {
      this.waiting = undefined;
      waiting({ done: true, value: undefined });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<OutputChunk[]> {
    return {
      next: () =>
        new Promise((resolve) => {
          this.waiting = resolve;
          this.deliver();
        }),
      return: async () => {
        this.returned = true;
        this.end();
        return { done: true, value: undefined };
      },
    };
  }
}

class FakeSession implements ExecSession {
  readonly output = new OutputFeed();
  readonly stdin = new PassThrough();
  stdinText = '';
  stdinEnded = false;
  closed = 0;
  exitCode = Promise.resolve(0);

  finishInput?: () => Promise<void>;
  inputFinished = false;

  constructor(
    readonly tty: boolean,
    endsWithInput: boolean,
  ) {
    if (endsWithInput) {
      this.finishInput = async () => {
        this.inputFinished = true;
      };
    }
    this.stdin.on('data', (data: Buffer) => (this.stdinText += data.toString()));
    this.stdin.on('end', () => (this.stdinEnded = true));
  }

  close(): void {
    this.closed++;
    this.output.end();
  }
}

function notImplementedInFake(): never {
  throw new Error('not used by this test');
}

/** A hand-made engine: each test sets what it needs and reads what the server asked. */
class FakeEngine {
  calls: { method: string; args: unknown[] }[] = [];
  sessions: FakeSession[] = [];
  waits: { condition: WaitCondition; signal: AbortSignal | undefined; settle: (result: WaitResult) => void }[] = [];
  logs: { options: LogsOptions; signal: AbortSignal; output: AsyncIterable<OutputChunk[]> }[] = [];
  logOutput: () => AsyncIterable<OutputChunk[]> = () => new OutputFeed();
  nextSessionTty = false;
  /** StdinOnce (the client's end of input closes the process's stdin) unless a test says otherwise. */
  nextSessionEndsWithInput = false;
  readonly events = new EventBus();
  readonly logged: string[] = [];

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private known(ref: string): void {
    if (ref !== 'c1') throw notFound(`No such container: ${ref}`);
  }

  readonly containers: ContainerApi = {
    create: async (request, options) => {
      this.record('create', request, options);
      return { Id: 'c1'.padEnd(64, '0'), Warnings: [] };
    },
    start: async (ref) => {
      this.record('start', ref);
      this.known(ref);
      return !this.calls.some((call) => call.method === 'start' && call !== this.calls.at(-1));
    },
    stop: async (ref, options) => {
      this.record('stop', ref, options);
      this.known(ref);
      return true;
    },
    restart: async () => notImplementedInFake(),
    kill: async (ref, signal) => {
      this.record('kill', ref, signal);
      throw new TypeError('kill exploded');
    },
    remove: async (ref, options) => {
      this.record('remove', ref, options);
      this.known(ref);
    },
    wait: (ref, condition, signal) => {
      this.record('wait', ref, condition);
      return new Promise((resolve) => this.waits.push({ condition, signal, settle: resolve }));
    },
    list: async (options) => {
      this.record('list', options);
      return [{ Id: 'c1' }];
    },
    inspect: async (ref, options) => {
      this.record('inspect', ref, options);
      this.known(ref);
      return { Id: ref, Config: { Tty: false } };
    },
    logs: async (ref, options, signal) => {
      this.known(ref);
      const output = this.logOutput();
      this.logs.push({ options, signal, output });
      return { tty: false, output };
    },
    attach: async (ref, options: AttachOptions) => {
      this.record('attach', ref, options);
      this.known(ref);
      return this.newSession();
    },
    resize: async (ref, height, width) => this.record('resize', ref, height, width),
    pause: async () => notImplementedInFake(),
    unpause: async () => notImplementedInFake(),
    rename: async () => notImplementedInFake(),
    top: async () => notImplementedInFake(),
    export: async () => Readable.from([Buffer.from('tar bytes')]),
  };

  readonly execs: ExecApi = {
    create: async (ref, request) => {
      this.record('exec-create', ref, request);
      return { Id: 'e1' };
    },
    start: async (id, options) => {
      this.record('exec-start', id, options);
      if (id !== 'e1') throw notFound(`No such exec instance: ${id}`);
      return this.newSession(options.tty);
    },
    resize: async () => notImplementedInFake(),
    inspect: async () => notImplementedInFake(),
  };

  private newSession(tty = this.nextSessionTty): FakeSession {
    const session = new FakeSession(tty, this.nextSessionEndsWithInput);
    this.sessions.push(session);
    return session;
  }

  readonly backend: ApiBackend = {
    containers: this.containers,
    execs: this.execs,
    containerStats: { samples: () => notImplementedInFake(), update: async () => notImplementedInFake() },
    archive: { stat: async () => notImplementedInFake(), get: async () => notImplementedInFake(), put: async () => notImplementedInFake() },
    maintenance: { changes: async () => notImplementedInFake(), pruneContainers: async () => notImplementedInFake(), pruneImages: async () => notImplementedInFake() },
    volumes: {
      create: async () => notImplementedInFake(),
      get: (name) => {
        throw notFound(`get ${name}: no such volume`);
      },
      list: () => [],
      remove: async () => notImplementedInFake(),
      prune: async () => notImplementedInFake(),
    },
    images: {
      import: async (source, options) => {
        let size = 0;
        for await (const chunk of source) size += (chunk as Buffer).length;
        this.record('import', size, options);
        return `sha256:${'ab'.repeat(32)}` as const;
      },
      list: async () => [],
      inspect: async (reference) => {
        this.record('image-inspect', reference);
        return { Id: 'sha256:x', RepoTags: [reference] } as never;
      },
      history: async () => [],
      tag: async () => undefined,
      remove: async () => [],
      resolve: async (reference) => {
        if (reference !== 'busybox:latest') throw notFound(`No such image: ${reference}`);
        return {} as never;
      },
      pull: async (name, tag, options) => {
        this.record('pull', name, tag, options?.credentials);
        if (name === 'missing') throw notFound('manifest for missing:latest not found: manifest unknown: manifest unknown');
        options?.onProgress?.({ id: tag ?? 'latest', status: `Pulling from ${name}` });
        options?.onProgress?.({ id: 'abc', status: 'Downloading', current: 1500, total: 3000 });
        if (name === 'broken') throw notFound('filesystem layer verification failed for digest sha256:abc');
        return [];
      },
      push: async () => [],
      login: async (server, credentials) => {
        this.record('login', server, credentials);
        return { Status: 'Login Succeeded', IdentityToken: '' };
      },
      search: async () => [],
      save: async (names, options) => {
        this.record('save', names, options);
        if (names.includes('nosuch')) throw notFound('No such image: nosuch:latest');
        return Readable.from([Buffer.from('archive bytes')]);
      },
      load: async (source, onProgress) => {
        const content = Buffer.concat(await source.toArray()).toString();
        this.record('load', content, onProgress !== undefined);
        if (content === 'refused') throw invalidArgument('invalid archive: it holds neither a manifest.json nor an index.json');
        onProgress?.({ diffId: `sha256:${'cd'.repeat(32)}`, size: 2048 });
        if (content === 'late failure') throw invalidArgument('invalid archive: the layer blobs/sha256/x is missing');
        const busybox = { domain: 'docker.io', path: 'library/busybox', tag: 'latest' };
        return {
          images: [
            { id: `sha256:${'ab'.repeat(32)}`, references: [busybox], moved: [{ reference: busybox, previous: `sha256:${'ef'.repeat(32)}` as const }] },
            { id: `sha256:${'12'.repeat(32)}`, references: [], moved: [] },
          ],
        };
      },
    },
    events: this.events,
    system: {
      info: async () => ({ ID: 'berth-test', Containers: 0 }),
      version: () => ({
        Platform: { Name: 'berth' },
        Version: '0.1.0',
        ApiVersion: '1.44',
        MinAPIVersion: '1.24',
        GitCommit: 'test',
        GoVersion: 'node',
        Os: 'linux',
        Arch: 'amd64',
        KernelVersion: '6',
        BuildTime: '2025-01-01T00:00:00Z',
        Components: [{ Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.44', MinAPIVersion: '1.24' } }],
      }),
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let socketPath = '';
let directory = '';
let engine: FakeEngine;
let server: http.Server;

function request(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads a raw socket, for hijacked streams. */
class RawClient {
  readonly socket: net.Socket;
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(path: string) {
    this.socket = net.connect({ path, allowHalfOpen: true });
    this.socket.on('data', (data: Buffer) => {
      this.received = Buffer.concat([this.received, data]);
      this.notify();
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until(condition: (received: Buffer) => boolean, what: string): Promise<Buffer> {
    const deadline = Date.now() + 5000;
    while (!condition(this.received)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.received;
  }

  /** Sends a request and returns the answer's head; the rest stays readable with `after`. */
  async send(text: string): Promise<{ head: string; bodyStart: number }> {
    this.socket.write(text);
    return this.head();
  }

  /** The answer's head, for a request already written. */
  async head(): Promise<{ head: string; bodyStart: number }> {
    const received = await this.until((data) => data.includes('\r\n\r\n'), 'the answer head');
    const end = received.indexOf('\r\n\r\n');
    return { head: received.subarray(0, end).toString('latin1'), bodyStart: end + 4 };
  }

  bytesFrom(offset: number): Buffer {
    return this.received.subarray(offset);
  }
}

function frame(stream: 1 | 2, text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.from([stream, 0, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const attachRequest =
  'POST /v1.44/containers/c1/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: text/plain\r\n\r\n';

describe('api server over a unix socket (fake engine)', () => {
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'berth-api-'));
    socketPath = join(directory, 'api.sock');
    engine = new FakeEngine();
    server = createApiServer(engine.backend, { log: (message) => engine.logged.push(message) });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  it('answers GET and HEAD /_ping with docker headers', async () => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await request(method, '/_ping');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.toString(), method === 'GET' ? 'OK' : '');
      assert.equal(answer.headers['api-version'], '1.44');
      assert.equal(answer.headers['builder-version'], '1');
      assert.equal(answer.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(answer.headers.pragma, 'no-cache');
      assert.equal(answer.headers.ostype, 'linux');
      assert.equal(answer.headers['docker-experimental'], 'false');
      assert.equal(answer.headers.server, 'berth/0.1.0 (linux)');
    }
  });

  it('answers unknown paths with docker 404 shape and common headers', async () => {
    const answer = await request('GET', '/v1.44/nothing/here');
    assert.equal(answer.status, 404);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.headers['api-version'], '1.44');
    assert.deepEqual(JSON.parse(answer.body.toString()), { message: 'page not found' });
  });

  it('refuses a too new client version', async () => {
    const answer = await request('GET', '/v1.52/version');
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body.toString()), {
      message: 'client version 1.52 is too new. Maximum supported API version is 1.44',
    });
  });

  it('answers known but missing docker endpoints with 501', async () => {
    const answer = await request('POST', '/v1.44/networks/create');
    assert.equal(answer.status, 501);
    assert.match((JSON.parse(answer.body.toString()) as { message: string }).message, /^berth does not implement POST \/networks\/create yet: .*network_mode: none or host$/);
    const websocket = await request('GET', '/v1.44/containers/c1/attach/ws');
    assert.equal(websocket.status, 501);
  });

  it('looks up networks, volumes and plugins as docker does for objects that do not exist', async () => {
    const networks = await request('GET', '/v1.44/networks');
    assert.equal(networks.status, 200);
    assert.deepEqual((JSON.parse(networks.body.toString()) as { Name: string }[]).map((network) => network.Name), ['host', 'none']);
    const missingNetwork = await request('GET', '/v1.44/networks/web');
    assert.equal(missingNetwork.status, 404);
    assert.deepEqual(JSON.parse(missingNetwork.body.toString()), { message: 'network web not found' });
    const missingVolume = await request('GET', '/v1.44/volumes/web');
    assert.equal(missingVolume.status, 404);
    const missingPlugin = await request('GET', '/v1.44/plugins/web/json');
    assert.equal(missingPlugin.status, 404);
    assert.deepEqual(JSON.parse(missingPlugin.body.toString()), { message: 'plugin "web" not found' });
  });

  it('passes list parameters and filters to the engine', async () => {
    const answer = await request('GET', '/v1.44/containers/json?all=1&limit=3&size=0&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body.toString()), [{ Id: 'c1' }]);
    assert.deepEqual(engine.calls.at(-1), { method: 'list', args: [{ all: true, limit: 3, size: false, filters: { status: ['running'] } }] });
    const bad = await request('GET', '/v1.44/containers/json?filters=%7Bnope');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body.toString()), { message: 'invalid filter' });
  });

  it('creates with 201, refuses malformed JSON with 400', async () => {
    const created = await request('POST', '/v1.44/containers/create?name=web', '{"Image":"busybox"}', { 'Content-Type': 'application/json' });
    assert.equal(created.status, 201);
    assert.equal(JSON.parse(created.body.toString()).Id.length, 64);
    assert.deepEqual(engine.calls.at(-1)?.args, [{ Image: 'busybox' }, { name: 'web' }]);
    const malformed = await request('POST', '/v1.44/containers/create', '{"Image":', { 'Content-Type': 'application/json' });
    assert.equal(malformed.status, 400);
    assert.match(JSON.parse(malformed.body.toString()).message, /^invalid JSON/);
    const wrongType = await request('POST', '/v1.44/containers/create', '{}', { 'Content-Type': 'text/xml' });
    assert.equal(wrongType.status, 400);
  });

  it('maps engine outcomes to statuses: 204, 304, 404, and 500 for the unforeseen (logged)', async () => {
    assert.equal((await request('POST', '/v1.44/containers/c1/start')).status, 204);
    assert.equal((await request('POST', '/v1.44/containers/c1/start')).status, 304);
    const missing = await request('POST', '/v1.44/containers/zz/stop?t=3');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body.toString()), { message: 'No such container: zz' });
    assert.deepEqual(engine.calls.at(-1)?.args, ['zz', { timeout: 3 }]);
    assert.equal((await request('DELETE', '/v1.44/containers/c1?force=1&v=true')).status, 204);
    assert.deepEqual(engine.calls.at(-1)?.args, ['c1', { force: true, volumes: true }]);
    assert.equal((await request('POST', '/v1.44/containers/c1/resize?h=24&w=80')).status, 200);
    assert.equal((await request('POST', '/v1.44/containers/c1/resize?h=x&w=80')).status, 400);
    const broken = await request('POST', '/v1.44/containers/c1/kill?signal=KILL');
    assert.equal(broken.status, 500);
    assert.deepEqual(JSON.parse(broken.body.toString()), { message: 'kill exploded' });
    assert.ok(engine.logged.some((line) => line.includes('kill exploded')));
  });

  it('serves images whose names contain slashes and a port', async () => {
    const answer = await request('GET', '/v1.44/images/localhost:5000/team/app:1.0/json');
    assert.equal(answer.status, 200);
    assert.deepEqual(engine.calls.at(-1), { method: 'image-inspect', args: ['localhost:5000/team/app:1.0'] });
  });

  it('imports the request body and answers a progress line', async () => {
    const tar = Buffer.alloc(100_000, 7);
    const answer = await request('POST', '/v1.44/images/create?fromSrc=-&repo=imported&tag=v1&changes=ENV%20A%3D1&changes=CMD%20sh&message=hi', tar, {
      'Content-Type': 'application/x-tar',
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body.toString()), { status: 'sha256:' + 'ab'.repeat(32) });
    assert.deepEqual(engine.calls.at(-1)?.args, [100_000, { changes: ['ENV A=1', 'CMD sh'], repo: 'imported', tag: 'v1', message: 'hi' }]);
  });

  it('streams pulls as docker progress lines, with credentials from X-Registry-Auth', async () => {
    const auth = Buffer.from(JSON.stringify({ username: 'tester', password: 'pw', serveraddress: 'localhost:5000' })).toString('base64url');
    const answer = await request('POST', '/v1.44/images/create?fromImage=busybox&tag=1.36', undefined, { 'X-Registry-Auth': auth });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json');
    const lines = answer.body.toString().trimEnd().split('\r\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines, [
      { status: 'Pulling from busybox', progressDetail: {}, id: '1.36' },
      {
        status: 'Downloading',
        progressDetail: { current: 1500, total: 3000 },
        progress: `[=========================>${' '.repeat(25)}]    1.5kB/3kB`,
        id: 'abc',
      },
    ]);
    assert.deepEqual(engine.calls.at(-1)?.args, ['busybox', '1.36', { username: 'tester', password: 'pw' }]);
  });

  it('answers a pull that fails before any progress with an HTTP error, and one that fails later in the stream', async () => {
    const missing = await request('POST', '/v1.44/images/create?fromImage=missing&tag=latest', undefined, { 'X-Registry-Auth': 'e30=' });
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.body.toString()).message, /^manifest for missing:latest not found/);
    assert.deepEqual(engine.calls.at(-1)?.args, ['missing', 'latest', undefined]);
    const broken = await request('POST', '/v1.44/images/create?fromImage=broken&tag=latest');
    assert.equal(broken.status, 200);
    const last = JSON.parse(broken.body.toString().trimEnd().split('\r\n').at(-1)!);
    assert.deepEqual(last, {
      errorDetail: { message: 'filesystem layer verification failed for digest sha256:abc' },
      error: 'filesystem layer verification failed for digest sha256:abc',
    });
  });

  it('checks logins through the engine with the body\'s credentials', async () => {
    const answer = await request('POST', '/v1.44/auth', JSON.stringify({ username: 'u', password: 'p', serveraddress: 'localhost:5000' }), { 'Content-Type': 'application/json' });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body.toString()), { Status: 'Login Succeeded', IdentityToken: '' });
    assert.deepEqual(engine.calls.at(-1)?.args, ['localhost:5000', { username: 'u', password: 'p' }]);
  });

  it('streams saved images as a tar, and answers an unknown name with 404 before any byte', async () => {
    const saved = await request('GET', '/v1.44/images/get?names=busybox&names=localhost:5000/x:1');
    assert.equal(saved.status, 200);
    assert.equal(saved.headers['content-type'], 'application/x-tar');
    assert.equal(saved.body.toString(), 'archive bytes');
    assert.deepEqual(engine.calls.at(-1)?.args, [['busybox', 'localhost:5000/x:1'], { format: 'docker' }]);
    const one = await request('GET', '/v1.44/images/localhost:5000/team/app:1.0/get?format=oci');
    assert.equal(one.status, 200);
    assert.deepEqual(engine.calls.at(-1)?.args, [['localhost:5000/team/app:1.0'], { format: 'oci' }]);
    const unknown = await request('GET', '/v1.44/images/get?names=nosuch');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body.toString()), { message: 'No such image: nosuch:latest' });
    assert.equal((await request('GET', '/v1.44/images/get?names=busybox&format=zip')).status, 400);
  });

  it('loads an archive and answers docker load messages; an early failure is an HTTP error, a late one an error line', async () => {
    const lines = (answer: Answer): unknown[] => answer.body.toString().trim().split('\r\n').map((line) => JSON.parse(line) as unknown);
    const loaded = await request('POST', '/v1.44/images/load?quiet=0', 'an archive', { 'Content-Type': 'application/x-tar' });
    assert.equal(loaded.status, 200);
    assert.equal(loaded.headers['content-type'], 'application/json');
    assert.deepEqual(lines(loaded), [
      { status: 'Loading layer', progressDetail: { current: 2048, total: 2048 }, id: 'cd'.repeat(6) },
      { stream: `The image busybox:latest already exists, renaming the old one with ID sha256:${'ef'.repeat(32)} to empty string\n` },
      { stream: 'Loaded image: busybox:latest\n' },
      { stream: `Loaded image ID: sha256:${'12'.repeat(32)}\n` },
    ]);
    assert.deepEqual(engine.calls.at(-1)?.args, ['an archive', true]);
    const quiet = await request('POST', '/v1.44/images/load?quiet=1', 'an archive');
    assert.equal(lines(quiet).length, 3, 'no progress when quiet');
    assert.deepEqual(engine.calls.at(-1)?.args, ['an archive', false]);

    const refused = await request('POST', '/v1.44/images/load?quiet=1', 'refused');
    assert.equal(refused.status, 400);
    assert.match(JSON.parse(refused.body.toString()).message, /neither a manifest.json/);
    const late = await request('POST', '/v1.44/images/load', 'late failure');
    assert.equal(late.status, 200);
    const message = 'invalid archive: the layer blobs/sha256/x is missing';
    assert.deepEqual(lines(late).at(-1), { errorDetail: { message }, error: message });
  });

  it('hijacks attach with 101, frames output, forwards stdin, keeps output after the client half-closes', async () => {
    const client = new RawClient(socketPath);
    const { head, bodyStart } = await client.send(attachRequest);
    const lines = head.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 101 UPGRADED');
    assert.ok(lines.includes('Content-Type: application/vnd.docker.multiplexed-stream'), head);
    assert.ok(lines.includes('Connection: Upgrade') && lines.includes('Upgrade: tcp'), head);
    assert.ok(lines.includes('Api-Version: 1.44'), head);
    const session = engine.sessions.at(-1)!;
    assert.deepEqual(engine.calls.at(-1)?.args[1], { stdin: true, stdout: true, stderr: true, logs: false, stream: true });

    session.output.push(['stdout', 'out1\n'], ['stderr', 'err1\n']);
    const expected = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err1\n')]);
    await client.until((data) => data.length >= bodyStart + expected.length, 'framed output');
    assert.deepEqual(client.bytesFrom(bodyStart), expected);

    client.socket.write('hello\n');
    await eventually(() => session.stdinText === 'hello\n', 'stdin to reach the session');
    client.socket.end();
    await eventually(() => session.stdinEnded, 'stdin to end after the half-close');

    session.output.push(['stdout', 'after eof\n']);
    const more = Buffer.concat([expected, frame(1, 'after eof\n')]);
    await client.until((data) => data.length >= bodyStart + more.length, 'output after the half-close');
    assert.deepEqual(client.bytesFrom(bodyStart), more);
    assert.equal(client.ended, false);

    session.output.end();
    await client.until(() => client.ended, 'the server to close the stream');
    assert.equal(session.closed, 1);
  });

  it('ends an attach without StdinOnce when the client\'s input ends, leaving the process\'s stdin open', async () => {
    engine.nextSessionEndsWithInput = true;
    const client = new RawClient(socketPath);
    try {
      const { bodyStart } = await client.send(attachRequest);
      const session = engine.sessions.at(-1)!;
      client.socket.write('typed\n');
      await eventually(() => session.stdinText === 'typed\n', 'stdin to reach the session');
      session.output.push(['stdout', 'echoed\n']);
      await client.until((data) => data.length >= bodyStart + frame(1, 'echoed\n').length, 'output');
      client.socket.end();
      await client.until(() => client.ended, 'the server to end the stream at the end of input');
      await eventually(() => session.closed === 1, 'the session to close');
      assert.equal(session.stdinEnded, false);
      assert.equal(session.inputFinished, true);
    } finally {
      engine.nextSessionEndsWithInput = false;
    }
  });

  it('writes raw bytes with a tty and closes the session when the client disconnects', async () => {
    engine.nextSessionTty = true;
    const client = new RawClient(socketPath);
    const { head, bodyStart } = await client.send(attachRequest);
    engine.nextSessionTty = false;
    assert.ok(head.includes('Content-Type: application/vnd.docker.raw-stream'), head);
    const session = engine.sessions.at(-1)!;
    session.output.push(['stdout', 'tty bytes']);
    await client.until((data) => data.subarray(bodyStart).toString() === 'tty bytes', 'raw output');
    client.socket.destroy();
    // A closed client looks like a half-closed one until a write fails, for docker too: output reveals it.
    await eventually(() => session.stdinEnded, 'stdin to end');
    assert.equal(session.closed, 0);
    const writeUntilNoticed = setInterval(() => session.output.push(['stdout', 'more']), 10);
    try {
      await eventually(() => session.closed === 1, 'the session to be closed');
    } finally {
      clearInterval(writeUntilNoticed);
    }
  });

  it('answers a failed attach on an upgrade request with an ordinary error', async () => {
    const client = new RawClient(socketPath);
    const { head, bodyStart } = await client.send(attachRequest.replace('/containers/c1/', '/containers/nope/'));
    assert.match(head, /^HTTP\/1\.1 404 Not Found\r\n/);
    await client.until(() => client.ended, 'the error body');
    assert.deepEqual(JSON.parse(client.bytesFrom(bodyStart).toString()), { message: 'No such container: nope' });
  });

  it('starts an exec from a JSON body sent with the upgrade; stdin bytes right after the body are kept', async () => {
    const body = '{"Detach":false,"Tty":true}';
    const client = new RawClient(socketPath);
    const { head, bodyStart } = await client.send(
      `POST /v1.44/exec/e1/start HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}early`,
    );
    assert.match(head, /^HTTP\/1\.1 101 UPGRADED/);
    assert.ok(head.includes('application/vnd.docker.raw-stream'), head);
    assert.deepEqual(engine.calls.at(-1), { method: 'exec-start', args: ['e1', { detach: false, tty: true }] });
    const session = engine.sessions.at(-1)!;
    await eventually(() => session.stdinText === 'early', 'the early stdin bytes');
    session.output.push(['stdout', 'done']);
    session.output.end();
    await client.until(() => client.ended, 'the end of the exec stream');
    assert.equal(client.bytesFrom(bodyStart).toString(), 'done');
  });

  it('answers a detached exec start with an empty 200', async () => {
    const answer = await request('POST', '/v1.44/exec/e1/start', '{"Detach":true}', { 'Content-Type': 'application/json' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.length, 0);
    assert.deepEqual(engine.calls.at(-1), { method: 'exec-start', args: ['e1', { detach: true }] });
    const missing = await request('POST', '/v1.44/exec/zz/start', '{"Detach":true}', { 'Content-Type': 'application/json' });
    assert.equal(missing.status, 404);
  });

  it('streams attach output on a plain 200 for clients that do not upgrade', async () => {
    const client = new RawClient(socketPath);
    const { head, bodyStart } = await client.send('POST /v1.44/containers/c1/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: api\r\nContent-Length: 0\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 OK/);
    assert.ok(!/transfer-encoding/i.test(head), head);
    const session = engine.sessions.at(-1)!;
    session.output.push(['stdout', 'plain']);
    session.output.end();
    await client.until(() => client.ended, 'the end of the stream');
    assert.deepEqual(client.bytesFrom(bodyStart), frame(1, 'plain'));
  });

  it('takes stdin after a plain attach body on a reused keep-alive connection, as dockerode sends it', async () => {
    const client = new RawClient(socketPath);
    const ping = await client.send('GET /_ping HTTP/1.1\r\nHost: api\r\n\r\n');
    assert.match(ping.head, /^HTTP\/1\.1 200 OK/);
    await client.until((data) => data.subarray(ping.bodyStart).toString() === 'OK', 'the ping body');
    const options = '{"stream":true,"stdin":true,"stdout":true,"stderr":true}';
    const pingLength = client.bytesFrom(0).length;
    client.socket.write(
      `POST /v1.44/containers/c1/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${options.length}\r\nConnection: keep-alive\r\n\r\n${options}first `,
    );
    const received = await client.until((data) => data.subarray(pingLength).includes('\r\n\r\n'), 'the attach head');
    const head = received.subarray(pingLength, received.indexOf('\r\n\r\n', pingLength)).toString();
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(head.includes('Content-Type: application/vnd.docker.multiplexed-stream'), head);
    assert.ok(!/transfer-encoding/i.test(head), head);
    const bodyStart = received.indexOf('\r\n\r\n', pingLength) + 4;
    const session = engine.sessions.at(-1)!;
    client.socket.write('GET / HTTP/1.1\r\n\r\n');
    await eventually(() => session.stdinText === 'first GET / HTTP/1.1\r\n\r\n', 'stdin, the options body left out');
    client.socket.end();
    await eventually(() => session.stdinEnded, 'stdin to end at the half-close');
    session.output.push(['stdout', 'after eof']);
    session.output.end();
    await client.until(() => client.ended, 'the end of the stream');
    assert.deepEqual(client.bytesFrom(bodyStart), frame(1, 'after eof'));
    assert.equal(session.closed, 1);
  });

  it('decodes a chunked plain attach body as stdin and ends stdin at the last chunk, with the client still reading', async () => {
    engine.nextSessionTty = true;
    const client = new RawClient(socketPath);
    const { head, bodyStart } = await client.send(
      'POST /v1.44/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello\n\r\n',
    );
    engine.nextSessionTty = false;
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(head.includes('Content-Type: application/vnd.docker.raw-stream'), head);
    const session = engine.sessions.at(-1)!;
    await eventually(() => session.stdinText === 'hello\n', 'the first chunk');
    for (const piece of ['4\r', '\n{"a"\r\n', '0\r\n', '\r\n']) client.socket.write(piece);
    await eventually(() => session.stdinEnded, 'stdin to end at the last chunk');
    assert.equal(session.stdinText, 'hello\n{"a"');
    assert.equal(client.ended, false);
    session.output.push(['stdout', 'raw tty output']);
    session.output.end();
    await client.until(() => client.ended, 'the end of the stream');
    assert.equal(client.bytesFrom(bodyStart).toString(), 'raw tty output');
  });

  it('takes every byte after a plain attach head without body framing as stdin, up to the half-close', async () => {
    const client = new RawClient(socketPath);
    client.socket.end('POST /v1.44/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: api\r\n\r\n0\r\n\r\nraw stdin');
    const { head } = await client.head();
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    const session = engine.sessions.at(-1)!;
    await eventually(() => session.stdinEnded, 'stdin to end');
    assert.equal(session.stdinText, '0\r\n\r\nraw stdin');
    session.output.end();
    await client.until(() => client.ended, 'the end of the stream');
  });

  it('reads exec start options from the front of a chunked body and the rest as stdin', async () => {
    const client = new RawClient(socketPath);
    const { head } = await client.send(
      'POST /v1.44/exec/e1/start HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{"Tty":f\r\nf\r\nalse}{"not":"op\r\n8\r\ntions"}\n\r\n0\r\n\r\n',
    );
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.deepEqual(engine.calls.at(-1), { method: 'exec-start', args: ['e1', { detach: false, tty: false }] });
    const session = engine.sessions.at(-1)!;
    await eventually(() => session.stdinEnded, 'stdin to end');
    assert.equal(session.stdinText, '{"not":"options"}\n');
    session.output.end();
    await client.until(() => client.ended, 'the end of the stream');
  });

  it('answers a plain exec start whose options are cut short with an error, and drops bad chunk framing once streaming', async () => {
    const short = new RawClient(socketPath);
    short.socket.end('POST /v1.44/exec/e1/start HTTP/1.1\r\nHost: api\r\nContent-Length: 20\r\n\r\n{"Tty"');
    const { head, bodyStart } = await short.head();
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    await short.until(() => short.ended, 'the error body');
    assert.deepEqual(JSON.parse(short.bytesFrom(bodyStart).toString()), { message: 'unexpected EOF while reading the request body' });

    const bad = new RawClient(socketPath);
    const answered = await bad.send('POST /v1.44/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.match(answered.head, /^HTTP\/1\.1 200 OK\r\n/);
    const session = engine.sessions.at(-1)!;
    bad.socket.write('zz\r\n');
    await bad.until(() => bad.ended, 'the server to drop the connection');
    await eventually(() => session.closed === 1, 'the session to be closed');
    bad.socket.destroy();
  });

  it('still serves ordinary requests one after another on one connection', async () => {
    const client = new RawClient(socketPath);
    const body = '{"Cmd":["true"]}';
    client.socket.write(`POST /v1.44/containers/c1/exec HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /_ping HTTP/1.1\r\nHost: api\r\n\r\n`);
    const both = await client.until((data) => data.toString().endsWith('OK'), 'both answers');
    const text = both.toString();
    assert.match(text, /^HTTP\/1\.1 201 Created\r\n/);
    assert.match(text, /\{"Id":"e1"\}\n/);
    assert.match(text, /HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
    client.socket.destroy();
  });

  it('flushes the wait headers before the container exits, then writes the result', async () => {
    const waitsBefore = engine.waits.length;
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ socketPath, method: 'POST', path: '/v1.44/containers/c1/wait?condition=next-exit', agent: false }, resolve);
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(engine.waits.length, waitsBefore + 1);
    const wait = engine.waits.at(-1)!;
    assert.equal(wait.condition, 'next-exit');
    const body = new Promise<string>((resolve) => {
      let text = '';
      answer.on('data', (data: Buffer) => (text += data.toString()));
      answer.on('end', () => resolve(text));
    });
    wait.settle({ StatusCode: 3, Error: null });
    assert.deepEqual(JSON.parse(await body), { StatusCode: 3, Error: null });
  });

  it('aborts the wait when the client leaves, and refuses unknown containers and conditions up front', async () => {
    const req = http.request({ socketPath, method: 'POST', path: '/v1.44/containers/c1/wait', agent: false });
    req.on('error', () => undefined);
    const answered = new Promise((resolve) => req.on('response', resolve));
    req.end();
    await answered;
    const wait = engine.waits.at(-1)!;
    assert.equal(wait.condition, 'not-running');
    req.destroy();
    await eventually(() => wait.signal?.aborted === true, 'the wait to be aborted');
    assert.equal((await request('POST', '/v1.44/containers/zz/wait')).status, 404);
    assert.equal((await request('POST', '/v1.44/containers/c1/wait?condition=sometime')).status, 400);
  });

  it('streams logs framed, with the options the client asked for', async () => {
    engine.logOutput = () =>
      Readable.from([
        [{ stream: 'stdout', data: Buffer.from('line1\n') }],
        [
          { stream: 'stderr', data: Buffer.from('line2\n') },
          { stream: 'stdout', data: Buffer.from('line3\n') },
        ],
      ] satisfies OutputChunk[][]);
    const answer = await request('GET', '/v1.44/containers/c1/logs?stdout=1&stderr=1&tail=10&since=1700000000.5&timestamps=1');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    assert.deepEqual(answer.body, Buffer.concat([frame(1, 'line1\n'), frame(2, 'line2\n'), frame(1, 'line3\n')]));
    assert.deepEqual(engine.logs.at(-1)!.options, {
      stdout: true,
      stderr: true,
      follow: false,
      timestamps: true,
      tail: 10,
      since: 1700000000.5,
    });
    const none = await request('GET', '/v1.44/containers/c1/logs');
    assert.equal(none.status, 400);
  });

  it('delivers a million log lines, batched, to a client that reads', async () => {
    const linesPerBatch = 1000;
    const batches = 1000;
    engine.logOutput = () =>
      (async function* () {
        for (let b = 0; b < batches; b++) {
          const batch: OutputChunk[] = [];
          for (let i = 0; i < linesPerBatch; i++) batch.push({ stream: 'stdout', data: Buffer.from(`line ${b * linesPerBatch + i}\n`) });
          yield batch;
        }
      })();
    const answer = await request('GET', '/v1.44/containers/c1/logs?stdout=1');
    assert.equal(answer.status, 200);
    let offset = 0;
    let lines = 0;
    let last = '';
    while (offset < answer.body.length) {
      const length = answer.body.readUInt32BE(offset + 4);
      last = answer.body.subarray(offset + 8, offset + 8 + length).toString();
      offset += 8 + length;
      lines++;
    }
    assert.equal(lines, 1_000_000);
    assert.equal(last, 'line 999999\n');
  });

  it('stops following logs when the client leaves', async () => {
    const feed = new OutputFeed();
    engine.logOutput = () => feed;
    const req = http.request({ socketPath, method: 'GET', path: '/v1.44/containers/c1/logs?stdout=1&follow=1', agent: false });
    req.on('error', () => undefined);
    const response = await new Promise<http.IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.end();
    });
    feed.push(['stdout', 'x\n']);
    await new Promise((resolve) => response.once('data', resolve));
    req.destroy();
    const entry = engine.logs.at(-1)!;
    await eventually(() => entry.signal.aborted && feed.returned, 'the log follow to stop');
  });

  it('streams past events from since, then live ones, filtered', async () => {
    engine.events.publish('container', 'create', 'c1', { name: 'web', image: 'busybox' });
    engine.events.publish('image', 'tag', 'sha256:1', { name: 'busybox:latest' });
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
    const req = http.request({ socketPath, method: 'GET', path: `/v1.44/events?since=0&filters=${filters}`, agent: false });
    req.on('error', () => undefined);
    const response = await new Promise<http.IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.end();
    });
    assert.equal(response.headers['content-type'], 'application/json');
    let text = '';
    response.on('data', (data: Buffer) => (text += data.toString()));
    await eventually(() => text.includes('"create"'), 'the replayed event');
    engine.events.publish('image', 'untag', 'sha256:1', {});
    engine.events.publish('container', 'start', 'c1', { name: 'web', image: 'busybox' });
    await eventually(() => text.includes('"start"'), 'the live event');
    const actions = text
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { Action: string; Type: string }).Action);
    assert.deepEqual(actions, ['create', 'start']);
    req.destroy();
  });

  it('ends the event stream at an until in the past, with only the recorded events', async () => {
    const until = (Date.now() / 1000).toFixed(3);
    await new Promise((resolve) => setTimeout(resolve, 5));
    engine.events.publish('container', 'die', 'c1', {});
    const answer = await request('GET', `/v1.44/events?since=0&until=${until}`);
    assert.equal(answer.status, 200);
    const actions = answer.body
      .toString()
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { Action: string }).Action);
    assert.ok(actions.includes('create') && !actions.includes('die'), actions.join(','));
    assert.equal((await request('GET', '/v1.44/events?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D')).status, 400);
  });

  it('never dies on a malformed request line', async () => {
    const client = new RawClient(socketPath);
    client.socket.write('THIS IS NOT HTTP\r\n\r\n');
    await client.until(() => client.ended, 'the server to drop the connection');
    assert.equal((await request('GET', '/_ping')).status, 200);
  });

  const docker = '/usr/local/bin/docker';
  it('speaks to the docker CLI (version, logs)', { skip: !existsSync(docker) && 'no docker CLI' }, async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: directory };
    const version = await run(docker, ['version', '--format', '{{.Server.APIVersion}}'], { env });
    assert.equal(version.stdout.trim(), '1.44');
    engine.logOutput = () =>
      Readable.from([
        [
          { stream: 'stdout', data: Buffer.from('to stdout\n') },
          { stream: 'stderr', data: Buffer.from('to stderr\n') },
        ],
      ] satisfies OutputChunk[][]);
    const logs = await run(docker, ['logs', 'c1'], { env });
    assert.equal(logs.stdout, 'to stdout\n');
    assert.equal(logs.stderr, 'to stderr\n');
  });
});
