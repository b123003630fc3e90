import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarName,
  familiarString,
  isNamedReference,
  parseAnyReference,
  parseNormalizedNamed,
  parseReference,
  referenceString,
  withDefaultTag,
} from '../../src/common/image-reference.js';

const digest = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';

describe('parseNormalizedNamed', () => {
  const normalized: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['user/app', 'docker.io/user/app:latest'],
    ['localhost:5000/x:1', 'localhost:5000/x:1'],
    ['localhost/x', 'localhost/x:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    ['127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian:latest'],
    ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker:latest'],
    ['docker---rules/docker', 'docker.io/docker---rules/docker:latest'],
    ['dock__er/docker', 'docker.io/dock__er/docker:latest'],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`],
    [`busybox:1.36@${digest}`, `docker.io/library/busybox:1.36@${digest}`],
    ['Foo/bar', 'Foo/bar:latest'],
  ];
  for (const [input, expected] of normalized) {
    it(`normalizes ${input}`, () => {
      assert.equal(referenceString(withDefaultTag(parseNormalizedNamed(input))), expected);
    });
  }

  it('splits domain and path like distribution', () => {
    const cases: Array<[string, string, string]> = [
      ['test.com/foo', 'test.com', 'foo'],
      ['test_com/foo', 'docker.io', 'test_com/foo'],
      ['test-com:8080/foo', 'test-com:8080', 'foo'],
      ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080', 'foo'],
      ['docker.io/library/foo/bar', 'docker.io', 'library/foo/bar'],
    ];
    for (const [input, domain, path] of cases) {
      const reference = parseNormalizedNamed(input);
      assert.equal(reference.domain, domain, input);
      assert.equal(reference.path, path, input);
    }
  });

  it('uses docker\'s words for an uppercase repository', () => {
    assert.throws(() => parseNormalizedNamed('Busybox'), {
      kind: 'invalid-argument',
      message: 'invalid reference format: repository name (library/Busybox) must be lowercase',
    });
    assert.throws(() => parseNormalizedNamed('docker/Docker'), {
      message: 'invalid reference format: repository name (docker/Docker) must be lowercase',
    });
  });

  it('refuses a 64-hex name', () => {
    assert.throws(() => parseNormalizedNamed('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'), {
      message: 'invalid repository name (1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), cannot specify 64-byte hexadecimal strings',
    });
    assert.doesNotThrow(() => parseNormalizedNamed('docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'));
  });

  const invalid = [
    'https://github.com/docker/docker',
    '-docker',
    '-docker/docker',
    'docker-/docker',
    'docker///docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    '',
    'busybox:',
    'busybox:-tag',
    `busybox:${'t'.repeat(129)}`,
    'busybox@sha256:abc',
    `busybox@md5:${'a'.repeat(32)}`,
    `${'a'.repeat(250)}/docker`,
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input)}`, () => {
      assert.throws(() => parseNormalizedNamed(input), { kind: 'invalid-argument' });
    });
  }

  it('reports the empty name and too-long names as distribution does', () => {
    assert.throws(() => parseReference(''), { message: 'repository name must have at least one component' });
    assert.throws(() => parseReference(`${'a'.repeat(256)}`), { message: 'repository name must not be more than 255 characters' });
    assert.throws(() => parseReference('docker.io/Docker/x'), {
      message: 'repository name must be lowercase',
    });
    assert.throws(() => parseReference('busybox@sha256:abc'), { message: 'invalid reference format' });
    assert.throws(() => parseReference(`busybox@sha256:${'a'.repeat(40)}`), { message: 'invalid checksum digest length' });
  });
});

describe('familiar forms', () => {
  const cases: Array<[string, string, string]> = [
    ['docker.io/library/ubuntu', 'ubuntu', 'ubuntu:latest'],
    ['docker.io/fooo/bar', 'fooo/bar', 'fooo/bar:latest'],
    ['docker.io/library/foo/bar', 'library/foo/bar', 'library/foo/bar:latest'],
    ['localhost:5000/x:1', 'localhost:5000/x', 'localhost:5000/x:1'],
    ['example.com:8000/private/moonbase', 'example.com:8000/private/moonbase', 'example.com:8000/private/moonbase:latest'],
    [`busybox:latest@${digest}`, 'busybox', `busybox:latest@${digest}`],
  ];
  for (const [input, name, display] of cases) {
    it(`shows ${input} as ${display}`, () => {
      const reference = withDefaultTag(parseNormalizedNamed(input));
      assert.equal(familiarName(reference), name);
      assert.equal(familiarString(reference), display);
    });
  }
});

describe('parseAnyReference', () => {
  it('takes 64 hex digits and sha256 digests as ids', () => {
    const hex = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
    assert.deepEqual(parseAnyReference(hex), { digest: `sha256:${hex}` });
    assert.deepEqual(parseAnyReference(`sha256:${hex}`), { digest: `sha256:${hex}` });
  });

  it('takes everything else as a name', () => {
    for (const [input, expected] of [
      ['dbcc1', 'docker.io/library/dbcc1'],
      ['dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9', 'docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9'],
      ['redis:latest', 'docker.io/library/redis:latest'],
      ['sha256:abc', 'docker.io/library/sha256:abc'],
    ] as const) {
      const reference = parseAnyReference(input);
      assert.ok(isNamedReference(reference), input);
      assert.equal(referenceString(reference), expected);
    }
  });
});
