import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOCALHOST, freePort, httpRequest, type HttpRequestOptions, type HttpResponse } from './http.js';
import { FaultProxy, type ProxiedRequest } from './registry-proxy.js';
import { TOKEN_ISSUER, TOKEN_SERVICE, TokenServer } from './registry-token.js';

const run = promisify(execFile);

/** Debian's docker-registry package: distribution 2.8. */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const hasRegistry = existsSync(REGISTRY_BINARY);

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface TestRegistryOptions {
  auth?: RegistryAuth;
  /** User name to password; the first one is who putBlob and putManifest push as. */
  users?: Record<string, string>;
  /** Also start a FaultProxy in front of the registry (proxyHost, proxiedRequests, cutBlobDownloadsAfter, failNextRequests, holdNextUploadAfter). */
  proxy?: boolean;
}

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * A real registry of a test's own: docker-registry on a free 127.0.0.1 port with filesystem
 * storage in a temporary directory, optionally behind basic or token auth and a fault-injecting
 * proxy. `stop()` kills everything it started and removes the directory, even after failures.
 */
export class TestRegistry {
  readonly dir: string;
  readonly storageDir: string;
  readonly host: string;
  readonly url: string;
  readonly auth: RegistryAuth;
  readonly users: Readonly<Record<string, string>>;
  /** What docker-registry printed (warnings and errors only). */
  log = '';
  private readonly configFile: string;
  private child: ChildProcess | undefined;
  private tokenServer: TokenServer | undefined;
  private faultProxy: FaultProxy | undefined;

  private constructor(private readonly port: number, options: TestRegistryOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
    this.storageDir = join(this.dir, 'storage');
    this.configFile = join(this.dir, 'config.yml');
    this.host = `${LOCALHOST}:${port}`;
    this.url = `http://${this.host}`;
    this.auth = options.auth ?? 'none';
    this.users = options.users ?? { tester: 'secret-pass' };
  }

  static async start(options: TestRegistryOptions = {}): Promise<TestRegistry> {
    const registry = new TestRegistry(await freePort(), options);
    try {
      await registry.configure();
      if (options.proxy) registry.faultProxy = await FaultProxy.start(registry.port);
      await registry.launch();
    } catch (error) {
      await registry.stop();
      throw error;
    }
    return registry;
  }

  /** The `service` the registry names in its Bearer challenge (token auth). */
  get service(): string {
    return TOKEN_SERVICE;
  }

  /** The token server's URL, as the registry's Bearer challenge gives it (token auth). */
  get tokenRealm(): string {
    return this.requireTokenServer().realm;
  }

  /** Requests the token server received, the harness's own included (token auth). */
  get tokenRequests(): number {
    return this.requireTokenServer().requests;
  }

  get proxyHost(): string {
    return this.requireProxy().host;
  }

  get proxyUrl(): string {
    return `http://${this.proxyHost}`;
  }

  /** The next `times` blob GETs through the proxy lose their connection after `bytes` bytes of body. */
  cutBlobDownloadsAfter(bytes: number, times: number): void {
    this.requireProxy().cutBlobDownloadsAfter(bytes, times);
  }

  /** Every request the proxy received, with the status it was answered with. */
  get proxiedRequests(): readonly ProxiedRequest[] {
    return this.requireProxy().requests;
  }

  /** The next upload PATCH through the proxy stalls after `bytes` bytes of body; resolves then. */
  holdNextUploadAfter(bytes: number): Promise<void> {
    return this.requireProxy().holdNextUploadAfter(bytes);
  }

  /** The next `times` requests to the proxy (of `method`, when given) get `status` without reaching the registry. */
  failNextRequests(status: number, times: number, method?: string): void {
    this.requireProxy().failNextRequests(status, times, method);
  }

  /** Where the registry keeps a blob's bytes, for tests that corrupt one. */
  blobPath(digest: string): string {
    const hex = DIGEST.exec(digest)?.[1];
    if (hex === undefined) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  }

  /** SIGKILLs the registry, keeping its storage and port (the proxy and token server stay up). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the registry again on the same port and storage. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    try {
      await this.kill();
      await this.faultProxy?.stop();
      await this.tokenServer?.stop();
    } finally {
      this.faultProxy = undefined;
      this.tokenServer = undefined;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Uploads a blob in one monolithic PUT and returns its digest. */
  async putBlob(repo: string, content: Buffer): Promise<string> {
    const digest = sha256(content);
    const headers = await this.pushHeaders(repo);
    const started = await this.expect(202, `${this.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
    const location = new URL(String(started.headers.location), this.url);
    location.searchParams.set('digest', digest);
    await this.expect(201, location.href, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: content });
    return digest;
  }

  /** Stores a manifest (or index) under a tag or digest and returns its digest. */
  async putManifest(repo: string, reference: string, mediaType: string, body: Buffer): Promise<string> {
    const headers = { ...(await this.pushHeaders(repo)), 'Content-Type': mediaType };
    const stored = await this.expect(201, `${this.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers, body });
    const digest = sha256(body);
    if (stored.headers['docker-content-digest'] !== digest) throw new Error(`the registry stored the manifest as ${stored.headers['docker-content-digest']}, not ${digest}`);
    return digest;
  }

  /** Writes config.yml, and the htpasswd file or token server its auth needs. */
  private async configure(): Promise<void> {
    const lines = [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(this.storageDir)}`,
      '  delete:',
      '    enabled: true',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: ${JSON.stringify(this.host)}`,
      // A fixed secret: upload sessions stay valid across restart(), and no warning about a random one.
      `  secret: ${JSON.stringify(randomBytes(16).toString('hex'))}`,
      'compatibility:',
      '  schema1:',
      '    enabled: false',
      ...(await this.authConfig()),
    ];
    writeFileSync(this.configFile, lines.join('\n') + '\n');
  }

  private async authConfig(): Promise<string[]> {
    if (this.auth === 'basic') {
      const htpasswd = join(this.dir, 'htpasswd');
      const entries = await Promise.all(Object.entries(this.users).map(async ([user, password]) => (await run('htpasswd', ['-Bbn', user, password])).stdout.trim()));
      writeFileSync(htpasswd, entries.join('\n') + '\n');
      return ['auth:', '  htpasswd:', '    realm: berth-test-registry', `    path: ${JSON.stringify(htpasswd)}`];
    }
    if (this.auth === 'token') {
      this.tokenServer = await TokenServer.start(this.dir, this.users);
      return [
        'auth:',
        '  token:',
        `    realm: ${JSON.stringify(this.tokenServer.realm)}`,
        `    service: ${JSON.stringify(TOKEN_SERVICE)}`,
        `    issuer: ${JSON.stringify(TOKEN_ISSUER)}`,
        `    rootcertbundle: ${JSON.stringify(this.tokenServer.certFile)}`,
      ];
    }
    return [];
  }

  /** Starts docker-registry and waits until /v2/ answers as the auth mode says it should. */
  private async launch(): Promise<void> {
    // REGISTRY_* variables override config.yml; a developer's own must not reach a test registry.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
    const child = spawn(REGISTRY_BINARY, ['serve', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.on('error', (error) => (this.log += `${error.message}\n`));
    const ready = this.auth === 'none' ? 200 : 401;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) break;
      const answer = await httpRequest(`${this.url}/v2/`).catch(() => undefined);
      if (answer?.status === ready) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`docker-registry did not answer ${ready} on ${this.url}/v2/ (exit ${child.exitCode ?? child.signalCode}): ${this.log}`);
  }

  /** Credentials that let the first user push to `repo`: Basic, or a Bearer token from the token server. */
  private async pushHeaders(repo: string): Promise<Record<string, string>> {
    if (this.auth === 'none') return {};
    const [user, password] = Object.entries(this.users)[0] ?? [];
    if (user === undefined) throw new Error('the registry has no users to push as');
    const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    if (this.auth === 'basic') return { Authorization: basic };
    const query = new URLSearchParams({ service: TOKEN_SERVICE, scope: `repository:${repo}:pull,push` });
    const answer = await this.expect(200, `${this.tokenRealm}?${query}`, { headers: { Authorization: basic } });
    return { Authorization: `Bearer ${(JSON.parse(answer.body.toString()) as { token: string }).token}` };
  }

  private async expect(status: number, url: string, options: HttpRequestOptions): Promise<HttpResponse> {
    const answer = await httpRequest(url, options);
    if (answer.status !== status) throw new Error(`${options.method ?? 'GET'} ${url}: ${answer.status} (expected ${status}): ${answer.body.toString()}`);
    return answer;
  }

  private requireTokenServer(): TokenServer {
    if (!this.tokenServer) throw new Error("the registry was not started with auth: 'token'");
    return this.tokenServer;
  }

  private requireProxy(): FaultProxy {
    if (!this.faultProxy) throw new Error('the registry was not started with proxy: true');
    return this.faultProxy;
  }
}

function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}
