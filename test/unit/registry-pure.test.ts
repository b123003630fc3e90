import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressMessage } from '../../src/api/progress-stream.js';
import { humanSize } from '../../src/common/human-size.js';
import { type ProgressEvent, throttledBytes } from '../../src/image/progress.js';
import { progressText as renderProgress } from '../../src/common/json-progress.js';

const progressText = (current: number, total: number) => renderProgress({ current, total }, 200);
import { registryAuthHeader } from '../../src/api/registry-auth-header.js';
import { parseChallenges } from '../../src/image/registry/auth-challenge.js';
import { parseManifest } from '../../src/image/registry/manifest.js';
import { MediaType as mediaTypes } from '../../src/image/media-types.js';
import { parsePlatform, selectPlatformManifest } from '../../src/image/registry/platform.js';
import { pullReference } from '../../src/image/registry/pull.js';
import { describeRegistryErrors, isTransient, registryErrorEntries, RegistryError } from '../../src/image/registry/registry-errors.js';
import { RegistryHosts } from '../../src/image/registry/registry-hosts.js';
import { registryDomainOf } from '../../src/image/registry/registry-login.js';
import { type SearchFilters, type SearchResult, searchFilter } from '../../src/image/registry/registry-search.js';

const filterSearchResults = (results: SearchResult[], filters: SearchFilters, limit: number) => results.filter(searchFilter(filters)).slice(0, limit);
import type { Descriptor } from '../../src/image/media-types.js';

const digest = (char: string) => `sha256:${char.repeat(64)}` as const;

describe('WWW-Authenticate challenges', () => {
  it('parses Docker Hub bearer challenges with quoted, comma-holding values', () => {
    const [challenge] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"');
    assert.deepEqual(challenge, {
      scheme: 'bearer',
      parameters: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' },
    });
  });

  it('parses several challenges in one header and across headers, and escapes in quotes', () => {
    const challenges = parseChallenges(['Basic realm="Registry \\"Realm\\"", Bearer realm=https://t/token', 'Negotiate']);
    assert.deepEqual(challenges.map((c) => c.scheme), ['basic', 'bearer', 'negotiate']);
    assert.equal(challenges[0]!.parameters.realm, 'Registry "Realm"');
    assert.equal(challenges[1]!.parameters.realm, 'https://t/token');
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('registry hosts', () => {
  it('sends Docker Hub through its mirrors first, and never pushes to a mirror', () => {
    const hosts = new RegistryHosts({ registryMirrors: ['https://mirror.example/'] });
    assert.deepEqual(hosts.endpoints('docker.io').map((e) => e.url), ['https://mirror.example', 'https://registry-1.docker.io']);
    assert.throws(() => new RegistryHosts({ registryMirrors: ['ftp://x'] }), /unsupported scheme/);
  });

  it('treats localhost, 127.0.0.0/8, ::1 and configured names and CIDRs as insecure, nothing else', () => {
    const hosts = new RegistryHosts({ insecureRegistries: ['registry.lan:5000', '10.1.0.0/16', 'http://plain.lan'] });
    for (const domain of ['localhost:5000', '127.0.0.1:5000', '127.9.9.9', '[::1]:5000', 'registry.lan:5000', '10.1.200.3:443', 'plain.lan']) {
      assert.ok(hosts.isInsecure(domain), domain);
    }
    for (const domain of ['registry.lan', '10.2.0.1:5000', 'quay.io', '128.0.0.1']) assert.ok(!hosts.isInsecure(domain), domain);
    assert.deepEqual(hosts.endpoints('127.0.0.1:5000'), [
      { url: 'https://127.0.0.1:5000', skipVerify: true, mirror: false },
      { url: 'http://127.0.0.1:5000', skipVerify: false, mirror: false },
    ]);
    assert.deepEqual(hosts.endpoints('quay.io'), [{ url: 'https://quay.io', skipVerify: false, mirror: false }]);
    assert.throws(() => new RegistryHosts({ insecureRegistries: ['10.0.0.0/99'] }), /invalid CIDR/);
  });
});

describe('manifests', () => {
  const layer = { mediaType: mediaTypes.dockerLayerGzip, digest: digest('a'), size: 10 };
  const config = { mediaType: mediaTypes.dockerConfig, digest: digest('b'), size: 5 };

  it('reads schema2 and OCI manifests, taking the media type from the body or the Content-Type', () => {
    const schema2 = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.dockerManifest, config, layers: [layer] })), undefined);
    assert.equal(schema2.kind, 'manifest');
    assert.equal(schema2.mediaType, mediaTypes.dockerManifest);
    const oci = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [layer] })), `${mediaTypes.ociManifest}; charset=utf-8`);
    assert.equal(oci.mediaType, mediaTypes.ociManifest);
  });

  it('reads indexes and refuses schema 1, bad digests and unknown layer types', () => {
    const index = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: mediaTypes.ociManifest, digest: digest('c'), size: 3, platform: { os: 'linux', architecture: 'amd64' } }] })), undefined);
    assert.equal(index.kind, 'index');
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1}'), undefined), /schema 1/);
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { ...config, digest: 'md5:x' }, layers: [] })), undefined), /invalid digest/);
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config, layers: [{ ...layer, mediaType: 'application/x-evil' }] })), undefined), /unsupported layer media type/);
    assert.throws(() => parseManifest(Buffer.from('not json'), undefined), /not valid JSON/);
  });
});

describe('platforms', () => {
  const entry = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: mediaTypes.ociManifest,
    digest: digest(String(architecture.length % 10)),
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });

  it('parses --platform as docker does', () => {
    assert.deepEqual(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
    assert.throws(() => parsePlatform('linux//x'), /unknown operating system or architecture/);
  });

  it('chooses the exact variant over a variant-less entry, and says when nothing matches', () => {
    const armV7 = { ...entry('arm', 'v7'), digest: digest('7') };
    const armAny = { ...entry('arm'), digest: digest('0') };
    const amd = { ...entry('amd64'), digest: digest('a') };
    assert.equal(selectPlatformManifest([armAny, armV7, amd], { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, digest('7'));
    assert.equal(selectPlatformManifest([armAny, amd], { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, digest('0'));
    assert.equal(selectPlatformManifest([armV7, amd], { os: 'linux', architecture: 'amd64' }).digest, digest('a'));
    assert.throws(() => selectPlatformManifest([amd, entry('amd64', undefined, 'windows')], { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x/);
  });
});

describe('pull references', () => {
  it('takes the tag apart from the name, a digest as tag, and leaves a bare name for all tags', () => {
    assert.deepEqual(pullReference('busybox', 'latest'), { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
    assert.deepEqual(pullReference('localhost:5000/a/b', '1.0'), { domain: 'localhost:5000', path: 'a/b', tag: '1.0' });
    assert.equal(pullReference('busybox', digest('d')).digest, digest('d'));
    assert.deepEqual(pullReference('busybox', undefined), { domain: 'docker.io', path: 'library/busybox' });
    assert.throws(() => pullReference('busybox', 'bad tag'), /invalid tag format/);
  });
});

describe('registry errors', () => {
  it("words registry error bodies as docker does and knows what is worth retrying", () => {
    const entries = registryErrorEntries('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    assert.equal(describeRegistryErrors(entries), 'manifest unknown: manifest unknown');
    assert.deepEqual(registryErrorEntries('<html>'), []);
    assert.ok(isTransient(new RegistryError(503, [], 'x')));
    assert.ok(!isTransient(new RegistryError(404, [], 'x')));
    assert.ok(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' })));
    assert.ok(!isTransient(new Error('digest mismatch')));
  });
});

describe('credentials', () => {
  it('decodes X-Registry-Auth in base64url and base64, with user:pass in auth, and ignores junk', () => {
    const encode = (value: object, encoding: BufferEncoding) => Buffer.from(JSON.stringify(value)).toString(encoding);
    assert.deepEqual(registryAuthHeader(encode({ username: 'u', password: 'p?>' }, 'base64url')), { username: 'u', password: 'p?>' });
    assert.deepEqual(registryAuthHeader(encode({ username: 'u', password: 'p?>' }, 'base64')), { username: 'u', password: 'p?>' });
    assert.deepEqual(registryAuthHeader(encode({ auth: Buffer.from('me:a:b').toString('base64') }, 'base64')), { username: 'me', password: 'a:b' });
    assert.deepEqual(registryAuthHeader(encode({ identitytoken: 'tok' }, 'base64url')), { identityToken: 'tok' });
    assert.equal(registryAuthHeader('e30='), undefined);
    assert.equal(registryAuthHeader('!!!'), undefined);
    assert.equal(registryAuthHeader(undefined), undefined);
  });

  it('maps login server addresses to registry domains', () => {
    for (const hub of ['', 'https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io']) assert.equal(registryDomainOf(hub), 'docker.io');
    assert.equal(registryDomainOf('http://LOCALHOST:5000/v2/'), 'localhost:5000');
    assert.equal(registryDomainOf('127.0.0.1:5000'), '127.0.0.1:5000');
    assert.throws(() => registryDomainOf('bad host!'), /invalid registry address/);
  });
});

describe('progress messages', () => {
  it("renders Docker's sizes and bars", () => {
    assert.equal(humanSize(512, 4), '512B');
    assert.equal(humanSize(1_234_567, 4), '1.235MB');
    assert.equal(humanSize(12_500, 4), '12.5kB');
    assert.equal(progressText(0, 0), '');
    assert.equal(progressText(100, 100), `[${'='.repeat(50)}>] ${'   100B'.padStart(8)}/100B`);
    assert.equal(progressText(0, 1000), `[>${' '.repeat(50)}]       0B/1kB`);
    assert.equal(progressText(2000, 1000), `[${'='.repeat(50)}>]      2kB`);
  });

  it('throttles byte counts, passing the last one of a known total and none early when the total is unknown', () => {
    const events: ProgressEvent[] = [];
    const known = throttledBytes((event) => events.push(event), 'a', 'Pushing', 300, 60_000);
    for (const bytes of [100, 200, 300]) known(bytes);
    const unknown = throttledBytes((event) => events.push(event), 'b', 'Pushing', 0, 60_000);
    for (const bytes of [100, 200, 300]) unknown(bytes);
    assert.deepEqual(events.map((event) => `${event.id}:${event.current}`), ['a:100', 'a:300', 'b:100']);
  });

  it('gives id lines a progressDetail and whole-operation lines none', () => {
    assert.deepEqual(progressMessage({ id: 'abc', status: 'Pull complete' }), { status: 'Pull complete', progressDetail: {}, id: 'abc' });
    assert.deepEqual(progressMessage({ status: 'Digest: x' }), { status: 'Digest: x' });
  });
});

describe('search filters', () => {
  const results = [
    { name: 'a', description: '', star_count: 10, is_official: true, is_automated: false },
    { name: 'b', description: '', star_count: 2, is_official: false, is_automated: true },
  ];
  it('filters by is-official, is-automated and stars, then limits', () => {
    assert.deepEqual(filterSearchResults(results, { 'is-official': ['true'] }, 25).map((r) => r.name), ['a']);
    assert.deepEqual(filterSearchResults(results, { stars: ['3'] }, 25).map((r) => r.name), ['a']);
    assert.deepEqual(filterSearchResults(results, { 'is-automated': ['1'] }, 25).map((r) => r.name), ['b']);
    assert.deepEqual(filterSearchResults(results, {}, 1).map((r) => r.name), ['a']);
    assert.throws(() => filterSearchResults(results, { color: ['red'] } as never, 25), /invalid filter 'color'/);
    assert.throws(() => filterSearchResults(results, { stars: ['many'] }, 25), /invalid filter 'stars=many'/);
  });
});
