/**
 * The image transfer commands (pull, push, login, logout, search, save, load, and run/create's
 * pull) against a fake daemon on a unix socket: which requests and headers each sends, what it
 * prints and how it exits. The expectations are what docker CLI 28.2 sends and prints for the same
 * answers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

let dir: string;
let socket: string;
let config: string;
let server: Server;
let requests: Recorded[];
let handler: Handler;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-transfer-'));
  socket = join(dir, 'api.sock');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests = [];
  handler = (_req, res) => json(res, 404, { message: 'page not found' });
  config = mkdtempSync(join(dir, 'config-'));
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function stream(res: ServerResponse, messages: unknown[]): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(messages.map((m) => `${JSON.stringify(m)}\r\n`).join(''));
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function berth(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, '-H', `unix://${socket}`, '--config', config, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The API requests made (version prefix dropped), without the body. */
function calls(): string[] {
  return requests.map((r) => `${r.method} ${r.url.replace(/^\/v1\.44/, '')}`);
}

const auth = (r: Recorded | undefined) => JSON.parse(Buffer.from(String(r?.headers['x-registry-auth']), 'base64url').toString()) as unknown;

function writeConfig(content: unknown): void {
  writeFileSync(join(config, 'config.json'), JSON.stringify(content));
}

const readConfig = () => JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')) as { auths?: Record<string, unknown> };

const DIGEST = `sha256:${'c'.repeat(64)}`;
const PULLED = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'aaaaaaaaaaaa' },
  { status: 'Downloading', progressDetail: { current: 10, total: 20 }, progress: '[=> ] 10B/20B', id: 'aaaaaaaaaaaa' },
  { status: 'Pull complete', progressDetail: {}, id: 'aaaaaaaaaaaa' },
  { status: `Digest: ${DIGEST}` },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];
const PULL_OUTPUT = `latest: Pulling from library/busybox\naaaaaaaaaaaa: Pulling fs layer\naaaaaaaaaaaa: Pull complete\nDigest: ${DIGEST}\nStatus: Downloaded newer image for busybox:latest\n`;

describe('berth pull', () => {
  beforeEach(() => {
    handler = (req, res) => (req.url.includes('/images/create') ? stream(res, PULLED) : json(res, 404, { message: 'page not found' }));
  });

  it('pulls the normalized name with its tag and always sends X-Registry-Auth', async () => {
    const run = await berth(['pull', 'busybox']);
    assert.deepEqual(run, { status: 0, stdout: `Using default tag: latest\n${PULL_OUTPUT}docker.io/library/busybox:latest\n`, stderr: '' });
    assert.deepEqual(calls(), ['POST /images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest']);
    assert.equal(requests[0]!.headers['x-registry-auth'], 'e30=');
  });

  it('sends the stored credentials of the image registry', async () => {
    writeConfig({ auths: { 'https://localhost:5000': { auth: Buffer.from('me:secret').toString('base64') } } });
    const run = await berth(['image', 'pull', '-q', '--platform', 'linux/arm64', `localhost:5000/x/y@${DIGEST}`]);
    assert.deepEqual(run, { status: 0, stdout: `localhost:5000/x/y@${DIGEST}\n`, stderr: '' });
    assert.deepEqual(calls(), [`POST /images/create?fromImage=localhost%3A5000%2Fx%2Fy&tag=${encodeURIComponent(DIGEST)}&platform=linux%2Farm64`]);
    assert.deepEqual(auth(requests[0]), { username: 'me', password: 'secret', serveraddress: 'https://localhost:5000' });
  });

  it('pulls every tag with -a, and refuses a tag with it', async () => {
    assert.equal((await berth(['pull', '-a', '-q', 'user/app'])).stdout, 'docker.io/user/app\n');
    assert.deepEqual(calls(), ['POST /images/create?fromImage=docker.io%2Fuser%2Fapp']);
    assert.deepEqual(await berth(['pull', '-a', 'user/app:1']), { status: 1, stdout: '', stderr: "tag can't be used with --all-tags/-a\n" });
  });

  it('refuses a bad name before calling the daemon', async () => {
    assert.deepEqual(await berth(['pull', 'Busybox']), { status: 1, stdout: '', stderr: 'invalid reference format: repository name (library/Busybox) must be lowercase\n' });
    assert.deepEqual(requests, []);
  });

  it('ends with the error in the stream, or the daemon error', async () => {
    handler = (req, res) =>
      req.url.includes('notfound')
        ? json(res, 404, { message: 'pull access denied for notfound' })
        : stream(res, [PULLED[0], { errorDetail: { message: 'failed to register layer: boom' }, error: 'failed to register layer: boom' }, PULLED[5]]);
    assert.deepEqual(await berth(['pull', 'busybox:1']), { status: 1, stdout: 'latest: Pulling from library/busybox\n', stderr: 'failed to register layer: boom\n' });
    assert.deepEqual(await berth(['pull', 'notfound']), {
      status: 1,
      stdout: 'Using default tag: latest\n',
      stderr: 'Error response from daemon: pull access denied for notfound\n',
    });
  });
});

describe('berth push', () => {
  const DIGEST_E = `sha256:${'e'.repeat(64)}`;
  beforeEach(() => {
    handler = (_req, res) =>
      stream(res, [
        { status: 'The push refers to repository [localhost:5000/x]' },
        { status: 'Preparing', progressDetail: {}, id: 'aaaaaaaaaaaa' },
        { status: 'Pushing', progressDetail: { current: 1, total: 2 }, progress: '[=>]', id: 'aaaaaaaaaaaa' },
        { status: 'Pushed', progressDetail: {}, id: 'aaaaaaaaaaaa' },
        { status: `latest: digest: ${DIGEST_E} size: 1234` },
        { progressDetail: {}, aux: { Tag: 'latest', Digest: DIGEST_E, Size: 1234 } },
      ]);
  });

  it('pushes the name in the path with the tag in the query and the registry credentials', async () => {
    writeConfig({ auths: { 'localhost:5000': { identitytoken: 'tok' } } });
    const run = await berth(['push', 'localhost:5000/x']);
    assert.deepEqual(run, {
      status: 0,
      stdout: `Using default tag: latest\nThe push refers to repository [localhost:5000/x]\naaaaaaaaaaaa: Preparing\naaaaaaaaaaaa: Pushed\nlatest: digest: ${DIGEST_E} size: 1234\n`,
      stderr: '',
    });
    assert.deepEqual(calls(), ['POST /images/localhost:5000/x/push?tag=latest']);
    assert.deepEqual(auth(requests[0]), { serveraddress: 'localhost:5000', identitytoken: 'tok' });
  });

  it('prints only the reference with -q, and pushes every tag with -a', async () => {
    assert.deepEqual(await berth(['image', 'push', '-q', 'busybox:1']), { status: 0, stdout: 'docker.io/library/busybox:1\n', stderr: '' });
    assert.deepEqual(await berth(['push', '-a', '-q', 'user/app']), { status: 0, stdout: 'docker.io/user/app\n', stderr: '' });
    assert.deepEqual(calls(), ['POST /images/docker.io/library/busybox/push?tag=1', 'POST /images/docker.io/user/app/push']);
  });

  it('refuses digests, and --platform as docker does with an API 1.44 daemon', async () => {
    assert.deepEqual(await berth(['push', `busybox@${DIGEST_E}`]), { status: 1, stdout: '', stderr: 'cannot push a digest reference\n' });
    assert.deepEqual(await berth(['push', '--platform', 'linux/amd64', 'busybox']), {
      status: 1,
      stdout: '',
      stderr: '"--platform" requires API version 1.46, but the berth daemon API version is 1.44\n',
    });
    assert.deepEqual(requests, []);
  });
});

describe('run and create pulling a missing image', () => {
  it('reports the missing image, pulls with the registry credentials to stderr, then creates', async () => {
    writeConfig({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('user:pass').toString('base64') } } });
    let creates = 0;
    handler = (req, res) => {
      if (req.url.includes('/images/create')) return stream(res, PULLED);
      if (creates++ === 0) return json(res, 404, { message: 'No such image: busybox:latest' });
      return json(res, 201, { Id: 'f'.repeat(64), Warnings: [] });
    };
    const run = await berth(['create', 'busybox']);
    assert.deepEqual(run, { status: 0, stdout: `${'f'.repeat(64)}\n`, stderr: `Unable to find image 'busybox:latest' locally\n${PULL_OUTPUT}` });
    assert.deepEqual(calls().map((c) => c.split('?')[0]), ['POST /containers/create', 'POST /images/create', 'POST /containers/create']);
    assert.deepEqual(auth(requests[1]), { username: 'user', password: 'pass', serveraddress: 'https://index.docker.io/v1/' });
  });

  it('keeps quiet with -q', async () => {
    let creates = 0;
    handler = (req, res) => {
      if (req.url.includes('/images/create')) return stream(res, PULLED);
      return creates++ === 0 ? json(res, 404, { message: 'No such image: busybox:latest' }) : json(res, 201, { Id: 'abc' });
    };
    assert.deepEqual(await berth(['create', '-q', 'busybox']), { status: 0, stdout: 'abc\n', stderr: '' });
  });
});

describe('berth login and logout', () => {
  beforeEach(() => {
    handler = (req, res) => {
      const body = JSON.parse(req.body.toString() || '{}') as { username?: string; password?: string };
      if (body.password === 'bad') return json(res, 401, { message: 'login attempt to http://localhost:5000/v2/ failed with status: 401 Unauthorized' });
      json(res, 200, { Status: 'Login Succeeded', IdentityToken: body.username === 'tok' ? 'idtok' : '' });
    };
  });

  const UNENCRYPTED = (path: string) =>
    `\nWARNING! Your credentials are stored unencrypted in '${path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`;

  it('checks the credentials with the daemon and keeps them in a new 0600 file', async () => {
    const run = await berth(['login', '-u', 'u', '-p', 'p', 'https://localhost:5000/v2/']);
    const path = join(config, 'config.json');
    assert.deepEqual(run, {
      status: 0,
      stdout: 'Login Succeeded\n',
      stderr: `WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n${UNENCRYPTED(path)}`,
    });
    assert.deepEqual(calls(), ['POST /auth']);
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()), { username: 'u', password: 'p', serveraddress: 'localhost:5000' });
    assert.deepEqual(readConfig(), { auths: { 'localhost:5000': { auth: 'dTpw' } } });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    // the same credentials again: the file is left alone and nothing is said about it
    assert.deepEqual(await berth(['login', '-u', 'u', '--password-stdin', 'localhost:5000'], 'p\n'), { status: 0, stdout: 'Login Succeeded\n', stderr: '' });
  });

  it("keeps the file's other keys and its mode", async () => {
    writeConfig({ psFormat: 'table {{.ID}}', auths: { 'other:1': { auth: 'eDp5' } } });
    chmodSync(join(config, 'config.json'), 0o644);
    assert.equal((await berth(['login', '-u', 'u', '--password-stdin', 'localhost:5000'], 'p')).status, 0);
    assert.deepEqual(readConfig(), { psFormat: 'table {{.ID}}', auths: { 'other:1': { auth: 'eDp5' }, 'localhost:5000': { auth: 'dTpw' } } });
    assert.equal(statSync(join(config, 'config.json')).mode & 0o777, 0o644);
  });

  it('logs in to Docker Hub by default and keeps an identity token instead of the password', async () => {
    assert.equal((await berth(['login', '-u', 'tok', '--password-stdin'], 'secret\r\n')).stdout, 'Login Succeeded\n');
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()), { username: 'tok', password: 'secret', serveraddress: 'https://index.docker.io/v1/' });
    assert.deepEqual(readConfig().auths, { 'https://index.docker.io/v1/': { auth: 'dG9rOg==', identitytoken: 'idtok' } });
  });

  it('tries the stored credentials first', async () => {
    writeConfig({ auths: { 'localhost:5000': { auth: 'dTpw' } } });
    const run = await berth(['login', 'localhost:5000']);
    assert.deepEqual(run, {
      status: 0,
      stdout: 'Login Succeeded\n',
      stderr: "Authenticating with existing credentials... [Username: u]\n\n Info -> To login with a different account, run 'berth logout' followed by 'berth login'\n\n\n",
    });
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()), { username: 'u', password: 'p', serveraddress: 'localhost:5000' });
  });

  it('cannot prompt without a terminal, and keeps nothing the daemon refused', async () => {
    writeConfig({ auths: { 'localhost:5000': { auth: Buffer.from('u:bad').toString('base64') } } });
    const stale = await berth(['login', 'localhost:5000']);
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, /\nStored credentials invalid or expired\nError: Cannot perform an interactive login from a non TTY device\n$/);
    assert.deepEqual(await berth(['login', '-u', 'u', '--password-stdin', 'localhost:5000'], 'bad\n'), {
      status: 1,
      stdout: '',
      stderr: 'Error response from daemon: login attempt to http://localhost:5000/v2/ failed with status: 401 Unauthorized\n',
    });
    assert.deepEqual(readConfig(), { auths: { 'localhost:5000': { auth: Buffer.from('u:bad').toString('base64') } } });
  });

  it("checks its flags with docker's words", async () => {
    assert.deepEqual(await berth(['login', '-u', 'u', '-p', 'p', '--password-stdin']), {
      status: 1,
      stdout: '',
      stderr: 'conflicting options: cannot specify both --password and --password-stdin\n',
    });
    assert.deepEqual(await berth(['login', '--password-stdin']), { status: 1, stdout: '', stderr: 'the --password-stdin option requires --username to be set\n' });
    assert.deepEqual(requests, []);
  });

  it('logs out of a registry under each form it may be stored under', async () => {
    writeConfig({ auths: { 'localhost:5000': { auth: 'dTpw' }, 'http://localhost:5000': { auth: 'dTpw' }, 'other:1': {} }, psFormat: 'x' });
    assert.deepEqual(await berth(['logout', 'https://localhost:5000/v2/']), { status: 0, stdout: 'Removing login credentials for localhost:5000\n', stderr: '' });
    assert.deepEqual(readConfig(), { auths: { 'other:1': {} }, psFormat: 'x' });
    assert.deepEqual(await berth(['logout']), { status: 0, stdout: 'Removing login credentials for https://index.docker.io/v1/\n', stderr: '' });
    assert.deepEqual(requests, []);
  });

  it('does not create a config file to log out of nothing', async () => {
    rmSync(config, { recursive: true });
    assert.equal((await berth(['logout', 'localhost:5000'])).status, 0);
    assert.equal(existsSync(config), false);
  });
});

describe('berth search', () => {
  beforeEach(() => {
    handler = (_req, res) =>
      json(res, 200, [
        { name: 'busybox', description: 'Busybox base image.', star_count: 3300, is_official: true, is_automated: false },
        { name: 'someone/busybox-long', description: 'A very long description that goes on and on beyond forty five characters', star_count: 12, is_official: false },
      ]);
  });

  it("lists docker 28's columns, descriptions cut at 45 characters", async () => {
    const run = await berth(['search', 'busybox']);
    assert.deepEqual(run, {
      status: 0,
      stdout:
        'NAME                   DESCRIPTION                                     STARS     OFFICIAL\n' +
        'busybox                Busybox base image.                             3300      [OK]\n' +
        'someone/busybox-long   A very long description that goes on and on …   12        \n',
      stderr: '',
    });
    assert.deepEqual(calls(), ['GET /images/search?term=busybox']);
    assert.equal(requests[0]!.headers['x-registry-auth'], 'e30=');
  });

  it('passes limit and filters, and searches a registry with its credentials', async () => {
    writeConfig({ auths: { 'localhost:5000': { auth: 'dTpw' } } });
    await berth(['search', '--limit', '5', '-f', 'is-official=true', '--filter', 'stars=3', 'localhost:5000/busybox']);
    assert.deepEqual(calls(), [`GET /images/search?term=localhost%3A5000%2Fbusybox&limit=5&filters=${encodeURIComponent('{"is-official":{"true":true},"stars":{"3":true}}')}`]);
    assert.deepEqual(auth(requests[0]), { username: 'u', password: 'p', serveraddress: 'localhost:5000' });
  });

  it('formats rows with templates and JSON as docker does', async () => {
    assert.equal((await berth(['search', '--no-trunc', '--format', '{{.Name}}|{{.StarCount}}|{{.IsOfficial}}|{{.Description}}', 'x'])).stdout,
      'busybox|3300|[OK]|Busybox base image.\nsomeone/busybox-long|12||A very long description that goes on and on beyond forty five characters\n');
    assert.equal((await berth(['search', '--format', 'json', 'x'])).stdout.split('\n')[0], '{"Description":"Busybox base image.","IsOfficial":"true","Name":"busybox","StarCount":"3300"}');
    const automated = await berth(['search', '--format', '{{.IsAutomated}}', 'x']);
    assert.equal(automated.status, 1);
    assert.match(automated.stderr, /can't evaluate field IsAutomated in type \*registry\.searchContext/);
  });

  it('rejects a bad filter or limit as a flag error', async () => {
    assert.deepEqual(await berth(['search', '-f', 'foo', 'x']), {
      status: 125,
      stdout: '',
      stderr: `invalid argument "foo" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee 'berth search --help'.\n`,
    });
    assert.equal((await berth(['search', '--limit', 'x', 'y'])).status, 125);
    assert.deepEqual(requests, []);
  });
});

describe('berth save and load', () => {
  const TAR = Buffer.alloc(4096, 'x');

  it('saves one or more images to stdout with one request', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      res.end(TAR);
    };
    const run = await berth(['save', 'busybox', 'localhost:5000/x:1']);
    assert.equal(run.status, 0);
    assert.equal(run.stdout.length, TAR.length);
    assert.deepEqual(calls(), ['GET /images/get?names=busybox&names=localhost%3A5000%2Fx%3A1']);
    await berth(['image', 'save', '--format', 'oci', 'busybox']);
    assert.equal(calls()[1], 'GET /images/get?names=busybox&format=oci');
  });

  it('writes -o through a temporary file, 0600, and leaves nothing when the transfer breaks', async () => {
    const out = join(dir, 'saved');
    mkdirSync(out);
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      if (!req.url.includes('broken')) {
        res.end(TAR);
        return;
      }
      res.write(TAR);
      setTimeout(() => res.socket?.destroy(), 50);
    };
    assert.deepEqual(await berth(['save', '-o', join(out, 'a.tar'), 'busybox']), { status: 0, stdout: '', stderr: '' });
    assert.equal(statSync(join(out, 'a.tar')).size, TAR.length);
    assert.equal(statSync(join(out, 'a.tar')).mode & 0o777, 0o600);
    const broken = await berth(['save', '-o', join(out, 'b.tar'), 'broken']);
    assert.deepEqual(broken, { status: 1, stdout: '', stderr: 'unexpected EOF\n' });
    assert.deepEqual(readdirSync(out), ['a.tar']);
  });

  it("refuses outputs docker refuses, before calling the daemon", async () => {
    assert.deepEqual(await berth(['save', '-o', join(dir, 'missing', 'x.tar'), 'busybox']), {
      status: 1,
      stdout: '',
      stderr: `failed to save image: invalid output path: stat ${join(dir, 'missing')}: no such file or directory\n`,
    });
    assert.deepEqual(await berth(['save', '-o', '/dev/null', 'busybox']), { status: 1, stdout: '', stderr: 'failed to save image: cannot write to a character device file\n' });
    assert.deepEqual(await berth(['save', '-o', dir, 'busybox']), { status: 1, stdout: '', stderr: 'failed to save image: cannot write to a directory\n' });
    assert.equal((await berth(['save', '--platform', 'linux/amd64', 'busybox'])).status, 1);
    assert.deepEqual(requests, []);
  });

  it('loads a file or stdin, quietly when stdout is not a terminal, printing the stream', async () => {
    handler = (_req, res) => stream(res, [{ stream: 'Loaded image: busybox:latest\n' }]);
    const file = join(dir, 'image.tar');
    writeFileSync(file, TAR);
    assert.deepEqual(await berth(['load', '-i', file]), { status: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
    assert.deepEqual(await berth(['image', 'load', '-q'], TAR.toString()), { status: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
    assert.deepEqual(calls(), ['POST /images/load?quiet=1', 'POST /images/load?quiet=1']);
    assert.equal(requests[0]!.headers['content-type'], 'application/x-tar');
    assert.deepEqual(requests[0]!.body, TAR);
    assert.deepEqual(requests[1]!.body, TAR);
  });

  it('reports a missing input file and daemon errors', async () => {
    assert.deepEqual(await berth(['load', '-i', join(dir, 'nope.tar')]), { status: 1, stdout: '', stderr: `open ${join(dir, 'nope.tar')}: no such file or directory\n` });
    handler = (_req, res) => json(res, 400, { message: 'unexpected EOF' });
    assert.deepEqual(await berth(['load']), { status: 1, stdout: '', stderr: 'Error response from daemon: unexpected EOF\n' });
  });
});
