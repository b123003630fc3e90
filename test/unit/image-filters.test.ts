import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ListCandidate, parseTimestamp, selectImages, validateImageFilters } from '../../src/image/image-filters.js';
import type { StoredImage } from '../../src/image/image-store.js';
import { pathMatch } from '../../src/image/path-match.js';
import { parseNormalizedNamed, withDefaultTag } from '../../src/common/image-reference.js';
import type { Digest } from '../../src/store/digest.js';

describe('pathMatch (Go path.Match)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['foo/**/ba[rz]', 'foo', false],
    ['foo/**/ba[rz]', 'foo/any/bat', false],
    ['foo/**/ba[rz]', 'foo/a/bar', true],
    ['foo/*/baz:tag', 'foo/c/baz:tag', true],
    ['*/foo/c/baz', 'example.com/foo/c/baz', true],
    ['busy*', 'busybox', true],
    ['busy*', 'busybox:latest', true],
    ['*', 'user/app', false],
    ['*/*', 'user/app', true],
    ['b?sybox', 'busybox', true],
    ['b?sybox', 'b/sybox', false],
    ['[^a]usybox', 'busybox', true],
    ['[a-c]usybox', 'busybox', true],
    ['[!a]usybox', 'busybox', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['x.y', 'xzy', false],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      assert.equal(pathMatch(pattern, name), expected);
    });
  }

  it('rejects malformed patterns', () => {
    for (const pattern of ['[-x]', '[', '[]a]', 'a\\', '[z-a]']) {
      assert.throws(() => pathMatch(pattern, 'a'), { message: 'syntax error in pattern' }, pattern);
    }
  });
});

const id = (n: number): Digest => `sha256:${n.toString(16).padStart(64, '0')}`;

function image(n: number, created: string, labels?: Record<string, string>, parent?: Digest): StoredImage {
  return {
    id: id(n),
    record: { id: id(n), ...(parent === undefined ? {} : { parent }) },
    config: { architecture: 'amd64', os: 'linux', created, config: labels === undefined ? {} : { Labels: labels }, rootfs: { type: 'layers', diff_ids: [] } },
    chainIds: [],
  };
}

const ref = (text: string) => withDefaultTag(parseNormalizedNamed(text));

describe('selectImages', () => {
  const busybox = image(1, '2024-01-01T00:00:00Z', { maintainer: 'me' });
  const app = image(2, '2024-02-01T00:00:00Z', { tier: 'web', maintainer: 'you' });
  const dangling = image(3, '2024-03-01T00:00:00Z');
  const intermediate = image(4, '2024-01-15T00:00:00Z');
  const child = image(5, '2024-01-16T00:00:00Z', undefined, intermediate.id);
  const candidates: ListCandidate[] = [
    { image: busybox, references: [ref('busybox'), ref('busybox:1.36')], hasChildren: false },
    { image: app, references: [ref('localhost:5000/team/app:v1')], hasChildren: false },
    { image: dangling, references: [], hasChildren: false },
    { image: intermediate, references: [], hasChildren: true },
    { image: child, references: [ref('child')], hasChildren: false },
  ];
  const ids = (filters: Record<string, string[]>, all = false): Digest[] =>
    selectImages(candidates, filters, { all }).map((listed) => listed.image.id);

  it('lists tagged images and dangling ones, hiding intermediate parents unless all', () => {
    assert.deepEqual(ids({}), [busybox.id, app.id, dangling.id, child.id]);
    assert.deepEqual(ids({}, true), [busybox.id, app.id, dangling.id, intermediate.id, child.id]);
    const listed = selectImages(candidates, {}).find((entry) => entry.image.id === dangling.id);
    assert.deepEqual(listed?.repoTags, ['<none>:<none>']);
    assert.deepEqual(listed?.repoDigests, ['<none>@<none>']);
  });

  it('filters dangling=true and dangling=false', () => {
    assert.deepEqual(ids({ dangling: ['true'] }), [dangling.id]);
    assert.deepEqual(ids({ dangling: ['false'] }), [busybox.id, app.id, child.id]);
  });

  it('filters by reference pattern, showing only matching tags', () => {
    const listed = selectImages(candidates, { reference: ['busybox:1.*'] });
    assert.deepEqual(listed.map((entry) => entry.image.id), [busybox.id]);
    assert.deepEqual(listed[0]?.repoTags, ['busybox:1.36']);
    assert.deepEqual(ids({ reference: ['busybox'] }), [busybox.id]);
    assert.deepEqual(ids({ reference: ['localhost:5000/*/app'] }), [app.id]);
    assert.deepEqual(ids({ reference: ['nothing*'] }), []);
  });

  it('filters by label key and key=value, all of them', () => {
    assert.deepEqual(ids({ label: ['maintainer'] }), [busybox.id, app.id]);
    assert.deepEqual(ids({ label: ['maintainer=you'] }), [app.id]);
    assert.deepEqual(ids({ label: ['maintainer', 'tier=web'] }), [app.id]);
  });

  it('filters by before, since and until', () => {
    const before = selectImages(candidates, {}, { bounds: { before: app } }).map((listed) => listed.image.id);
    assert.deepEqual(before, [busybox.id, child.id]);
    const since = selectImages(candidates, {}, { bounds: { since: app } }).map((listed) => listed.image.id);
    assert.deepEqual(since, [dangling.id]);
    assert.deepEqual(ids({ until: ['2024-01-10T00:00:00Z'] }), [busybox.id]);
  });

  it('rejects unknown filters and bad values', () => {
    assert.throws(() => validateImageFilters({ bogus: ['x'] }), { kind: 'invalid-argument', message: "invalid filter 'bogus'" });
    assert.throws(() => validateImageFilters({ dangling: ['maybe'] }), { message: "invalid filter 'dangling=maybe'" });
    assert.throws(() => validateImageFilters({ reference: ['[-x]'] }), { message: 'syntax error in pattern' });
  });

  it('reads until as a duration, Unix seconds or a date', () => {
    const now = Date.parse('2024-05-01T00:00:00Z');
    assert.equal(parseTimestamp('1h', now), now - 3600_000);
    assert.equal(parseTimestamp('1700000000', now), 1700000000_000);
    assert.equal(parseTimestamp('2024-01-01', now), Date.parse('2024-01-01'));
    assert.throws(() => parseTimestamp('yesterday', now));
  });
});
