import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eraseCredentials, storeCredentials } from '../../src/cli/credential-store.js';
import { configDir, readConfigFile } from '../../src/cli/docker-config.js';
import { CliError } from '../../src/cli/errors.js';
import { familiarString, parseNormalizedNamed, referenceString, withDefaultTag } from '../../src/common/image-reference.js';
import { apiTag } from '../../src/cli/pull.js';
import { BerthError } from '../../src/common/errors.js';
import { authKeyForDomain, convertToHostname, encodeAuthHeader, fileCredentials, registryAuthHeader, storedCredentials } from '../../src/cli/registry-auth.js';

const decodeHeader = (header: string) => JSON.parse(Buffer.from(header, 'base64url').toString()) as unknown;

describe('image references as the CLI normalizes them', () => {
  it('qualifies Docker Hub names and keeps other registries', () => {
    assert.deepEqual(parseNormalizedNamed('busybox'), { domain: 'docker.io', path: 'library/busybox' });
    assert.deepEqual(parseNormalizedNamed('user/app:1'), { domain: 'docker.io', path: 'user/app', tag: '1' });
    assert.deepEqual(parseNormalizedNamed('index.docker.io/library/busybox'), { domain: 'docker.io', path: 'library/busybox' });
    assert.deepEqual(parseNormalizedNamed('localhost:5000/foo/bar:v1'), { domain: 'localhost:5000', path: 'foo/bar', tag: 'v1' });
    assert.deepEqual(parseNormalizedNamed('localhost/x'), { domain: 'localhost', path: 'x' });
    const digest = `sha256:${'d'.repeat(64)}`;
    assert.deepEqual(parseNormalizedNamed(`busybox:1@${digest}`), { domain: 'docker.io', path: 'library/busybox', tag: '1', digest });
  });

  it('gives the forms docker prints and sends', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    assert.equal(referenceString(withDefaultTag(parseNormalizedNamed('busybox'))), 'docker.io/library/busybox:latest');
    assert.equal(referenceString(parseNormalizedNamed('busybox')), 'docker.io/library/busybox');
    assert.equal(familiarString(withDefaultTag(parseNormalizedNamed('docker.io/library/busybox'))), 'busybox:latest');
    assert.equal(familiarString(parseNormalizedNamed('user/app:1')), 'user/app:1');
    assert.equal(familiarString(parseNormalizedNamed('localhost:5000/library/x')), 'localhost:5000/library/x');
    assert.equal(apiTag(parseNormalizedNamed('busybox')), 'latest');
    assert.equal(apiTag(parseNormalizedNamed(`busybox:1@${digest}`)), digest);
  });

  it("refuses bad names with docker's words", () => {
    const fails = (input: string, message: string) =>
      assert.throws(() => parseNormalizedNamed(input), (error: unknown) => error instanceof BerthError && error.kind === 'invalid-argument' && error.message === message, input);
    fails('Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase');
    fails('', 'invalid reference format');
    fails('a b', 'invalid reference format');
    fails('a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`);
    fails(`busybox@sha256:${'d'.repeat(63)}`, 'invalid checksum digest length');
  });
});

describe('registry credentials from the config file', () => {
  const config = {
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('user:pass').toString('base64') },
      'http://localhost:5000/v2/': { auth: Buffer.from('local:secret').toString('base64') },
      'reg.example:443': { identitytoken: 'tok123' },
      'plain.example': { username: 'u', password: 'p', email: 'u@example.com' },
    },
    psFormat: 'x',
  };

  it('names Docker Hub by its v1 URL and other registries by host', () => {
    assert.equal(authKeyForDomain('docker.io'), 'https://index.docker.io/v1/');
    assert.equal(authKeyForDomain('localhost:5000'), 'localhost:5000');
    assert.equal(convertToHostname('https://localhost:5000/v2/'), 'localhost:5000');
    assert.equal(convertToHostname('http://reg.example'), 'reg.example');
    assert.equal(convertToHostname('reg.example/path'), 'reg.example');
  });

  it('finds an entry by its exact key, else by one naming the same host', () => {
    assert.deepEqual(fileCredentials(config, 'https://index.docker.io/v1/'), { username: 'user', password: 'pass', serveraddress: 'https://index.docker.io/v1/' });
    assert.deepEqual(fileCredentials(config, 'localhost:5000'), { username: 'local', password: 'secret', serveraddress: 'http://localhost:5000/v2/' });
    assert.deepEqual(fileCredentials(config, 'reg.example:443'), { serveraddress: 'reg.example:443', identitytoken: 'tok123' });
    assert.deepEqual(fileCredentials(config, 'plain.example'), { username: 'u', password: 'p', email: 'u@example.com', serveraddress: 'plain.example' });
    assert.deepEqual(fileCredentials(config, 'other.example'), {});
    assert.deepEqual(fileCredentials({}, 'other.example'), {});
  });

  // docker CLI 28.2 sent exactly these headers for the same config
  it("encodes X-Registry-Auth as docker's CLI does", () => {
    assert.equal(encodeAuthHeader({}), 'e30=');
    assert.equal(
      encodeAuthHeader(fileCredentials(config, 'https://index.docker.io/v1/')),
      'eyJ1c2VybmFtZSI6InVzZXIiLCJwYXNzd29yZCI6InBhc3MiLCJzZXJ2ZXJhZGRyZXNzIjoiaHR0cHM6Ly9pbmRleC5kb2NrZXIuaW8vdjEvIn0=',
    );
    assert.equal(
      encodeAuthHeader(fileCredentials(config, 'localhost:5000')),
      'eyJ1c2VybmFtZSI6ImxvY2FsIiwicGFzc3dvcmQiOiJzZWNyZXQiLCJzZXJ2ZXJhZGRyZXNzIjoiaHR0cDovL2xvY2FsaG9zdDo1MDAwL3YyLyJ9',
    );
    assert.equal(encodeAuthHeader(fileCredentials(config, 'reg.example:443')), 'eyJzZXJ2ZXJhZGRyZXNzIjoicmVnLmV4YW1wbGU6NDQzIiwiaWRlbnRpdHl0b2tlbiI6InRvazEyMyJ9');
  });

  it('uses the URL-safe alphabet with padding', () => {
    const header = encodeAuthHeader({ username: 'u', password: '??>>~~' });
    assert.match(header, /^[A-Za-z0-9_-]+=*$/);
    assert.equal(header.length % 4, 0);
    assert.deepEqual(decodeHeader(header), { username: 'u', password: '??>>~~' });
  });
});

describe('the docker config file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in --config, else $DOCKER_CONFIG, else ~/.docker', () => {
    assert.equal(configDir('/x', { DOCKER_CONFIG: '/y' }), '/x');
    assert.equal(configDir(undefined, { DOCKER_CONFIG: '/y' }), '/y');
    assert.match(configDir(undefined, {}), /\/\.docker$/);
  });

  it('creates a new file 0600 in a 0700 directory, tab-indented without a final newline', async () => {
    const sub = join(dir, 'new', '.docker');
    const file = await readConfigFile(sub);
    assert.deepEqual(file.config, {});
    const { plaintextPassword } = await storeCredentials(file, 'localhost:5000', { username: 'u', password: 'p' });
    assert.equal(plaintextPassword, true);
    assert.equal(statSync(file.path).mode & 0o777, 0o600);
    assert.equal(statSync(sub).mode & 0o777, 0o700);
    assert.equal(readFileSync(file.path, 'utf8'), '{\n\t"auths": {\n\t\t"localhost:5000": {\n\t\t\t"auth": "dTpw"\n\t\t}\n\t}\n}');
  });

  it('keeps every other key, entry and the mode of an existing file, leaving no temporary file', async () => {
    const sub = join(dir, 'existing');
    const path = join(sub, 'config.json');
    mkdirSync(sub);
    writeFileSync(path, JSON.stringify({ psFormat: 'x', auths: { 'other:1': { auth: 'b3RoZXI6MQ==', email: 'e' } }, credHelpers: {}, plugins: { a: { b: 'c' } } }));
    chmodSync(path, 0o644);
    const file = await readConfigFile(sub);
    await storeCredentials(file, 'reg:443', { username: 'tok', password: '', identitytoken: 'idtok' });
    const written = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(written), ['psFormat', 'auths', 'credHelpers', 'plugins']);
    assert.deepEqual(written.auths, { 'other:1': { auth: 'b3RoZXI6MQ==', email: 'e' }, 'reg:443': { auth: 'dG9rOg==', identitytoken: 'idtok' } });
    assert.deepEqual(written.plugins, { a: { b: 'c' } });
    assert.equal(statSync(path).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(sub), ['config.json']);
  });

  it('writes through a symlinked file to its target', async () => {
    const sub = join(dir, 'linked');
    mkdirSync(sub);
    writeFileSync(join(dir, 'real.json'), '{}');
    symlinkSync(join(dir, 'real.json'), join(sub, 'config.json'));
    const file = await readConfigFile(sub);
    await storeCredentials(file, 'a:1', { username: 'u', password: 'p' });
    assert.ok(lstatSync(join(sub, 'config.json')).isSymbolicLink());
    assert.match(readFileSync(join(dir, 'real.json'), 'utf8'), /"a:1"/);
  });

  it('refuses to rewrite a file it cannot parse', async () => {
    const sub = join(dir, 'broken');
    mkdirSync(sub);
    writeFileSync(join(sub, 'config.json'), '{not json');
    await assert.rejects(readConfigFile(sub), (error: unknown) => error instanceof CliError && error.message.startsWith(join(sub, 'config.json')));
  });

  it('erases the entries asked for and rewrites only when one went away', async () => {
    const sub = join(dir, 'erase');
    mkdirSync(sub);
    const path = join(sub, 'config.json');
    writeFileSync(path, JSON.stringify({ auths: { 'localhost:5000': { auth: 'dTpw' }, 'https://localhost:5000': { auth: 'dTpw' }, keep: {} } }));
    const file = await readConfigFile(sub);
    assert.deepEqual(await eraseCredentials(file, ['localhost:5000', 'http://localhost:5000', 'https://localhost:5000']), []);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { auths: { keep: {} } });
    const none = join(dir, 'none');
    assert.deepEqual(await eraseCredentials(await readConfigFile(none), ['x']), []);
    assert.equal(existsSync(none), false);
  });

  it('sends the stored credentials for an image registry, or {}', async () => {
    const sub = join(dir, 'header');
    mkdirSync(sub);
    writeFileSync(join(sub, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'dXNlcjpwYXNz' } } }));
    assert.deepEqual(decodeHeader(await registryAuthHeader(sub, 'docker.io')), { username: 'user', password: 'pass', serveraddress: 'https://index.docker.io/v1/' });
    assert.equal(await registryAuthHeader(sub, 'localhost:5000'), 'e30=');
    assert.equal(await registryAuthHeader(join(dir, 'missing'), 'docker.io'), 'e30=');
  });
});

describe('credential helpers', () => {
  let dir: string;
  let savedPath: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-helper-'));
    // a helper keeping one record per server in files, speaking docker's protocol
    const helper = join(dir, 'docker-credential-test');
    writeFileSync(
      helper,
      `#!/bin/sh
store="${dir}/store"; mkdir -p "$store"
input=$(cat)
case "$1" in
  store) key=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/' | tr '/:' '__'); printf '%s' "$input" > "$store/$key" ;;
  get) key=$(printf '%s' "$input" | tr '/:' '__'); [ -f "$store/$key" ] || { echo "credentials not found in native keychain"; exit 1; }; cat "$store/$key" ;;
  erase) key=$(printf '%s' "$input" | tr '/:' '__'); [ -f "$store/$key" ] || { echo "credentials not found in native keychain"; exit 1; }; rm "$store/$key" ;;
esac
`,
    );
    chmodSync(helper, 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath ?? ''}`;
  });
  after(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores in the helper, leaving an empty entry in the file, and reads back', async () => {
    const sub = join(dir, 'cfg');
    mkdirSync(sub);
    writeFileSync(join(sub, 'config.json'), JSON.stringify({ credsStore: 'test' }));
    const file = await readConfigFile(sub);
    const { plaintextPassword } = await storeCredentials(file, 'localhost:5000', { username: 'u', password: 'p' });
    assert.equal(plaintextPassword, false);
    assert.deepEqual(JSON.parse(readFileSync(join(sub, 'config.json'), 'utf8')), { credsStore: 'test', auths: { 'localhost:5000': {} } });
    assert.deepEqual(await storedCredentials(file.config, 'localhost:5000'), { username: 'u', password: 'p', serveraddress: 'localhost:5000' });
    await storeCredentials(file, 'reg:443', { username: 'x', password: '', identitytoken: 'tok' });
    assert.deepEqual(await storedCredentials(file.config, 'reg:443'), { serveraddress: 'reg:443', identitytoken: 'tok' });
    assert.deepEqual(await storedCredentials(file.config, 'unknown:1'), {});
    assert.deepEqual(await eraseCredentials(file, ['localhost:5000']), []);
    assert.deepEqual(await storedCredentials(file.config, 'localhost:5000'), {});
    assert.deepEqual(await eraseCredentials(file, ['localhost:5000']), [['localhost:5000', 'error erasing credentials - err: exit status 1, out: `credentials not found in native keychain`']]);
  });

  it('prefers the per-registry helper and reports one that is not installed', async () => {
    const config = { credsStore: 'test', credHelpers: { 'gcr.example': 'absent' } };
    await assert.rejects(storedCredentials(config, 'gcr.example'), {
      message: 'error getting credentials - err: exec: "docker-credential-absent": executable file not found in $PATH, out: ``',
    });
    const sub = join(dir, 'absent');
    mkdirSync(sub);
    writeFileSync(join(sub, 'config.json'), JSON.stringify(config));
    // for a pull docker then sends no credentials rather than failing
    assert.equal(await registryAuthHeader(sub, 'gcr.example'), 'e30=');
  });
});
