import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseMountFlag, splitCsv } from '../../src/cli/opts/mount.js';
import { naturalLess } from '../../src/cli/format/volumes.js';

const message = (value: string): string => {
  try {
    parseMountFlag(value);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail(`expected ${value} to be refused`);
};

describe('--mount', () => {
  it('reads binds, volumes and tmpfs as docker sends them', () => {
    assert.deepEqual(parseMountFlag('type=bind,source=/srv,target=/x,readonly,bind-propagation=rshared'), {
      Type: 'bind', Source: '/srv', Target: '/x', ReadOnly: true, BindOptions: { Propagation: 'rshared' },
    });
    assert.deepEqual(parseMountFlag('src=data,dst=/data,volume-nocopy,volume-label=a=b'), {
      Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } },
    });
    assert.deepEqual(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770'), {
      Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 },
    });
    assert.equal(parseMountFlag('type=bind,source=./here,target=/x').Source, resolve('./here'));
    assert.equal(parseMountFlag('type=bind,src=/a,dst=/b,ro=false').ReadOnly, false);
  });

  it("refuses malformed values in docker's words", () => {
    assert.equal(message('type=bind,source=/a'), 'target is required');
    assert.equal(message('type=bind,target=/a,bogus'), "invalid field 'bogus' must be a key=value pair");
    assert.equal(message('type=bind,target=/a,colour=red'), "unexpected key 'colour' in 'colour=red'");
    assert.equal(message('type=tmpfs,target=/t,tmpfs-size=lots'), 'invalid value for tmpfs-size: lots');
    assert.equal(message('type=tmpfs,target=/t,tmpfs-mode=9'), 'invalid value for tmpfs-mode: 9');
    assert.equal(message('type=bind,target=/t,volume-nocopy'), "cannot mix 'volume-*' options with mount type 'bind'");
    assert.equal(message('type=volume,target=/t,bind-propagation=shared'), "cannot mix 'bind-*' options with mount type 'volume'");
    assert.equal(message('type=bind,target=/t,ro=maybe'), 'invalid value for ro: maybe');
  });

  it('splits CSV with quotes as Go does', () => {
    assert.deepEqual(splitCsv('type=bind,"source=/a,b",target=/c'), ['type=bind', 'source=/a,b', 'target=/c']);
    assert.deepEqual(splitCsv('"say ""hi"""'), ['say "hi"']);
  });
});

describe('volume ls order', () => {
  it('sorts names naturally, as docker does', () => {
    assert.deepEqual(['v10', 'v2', 'a', 'v1'].sort(naturalLess), ['a', 'v1', 'v2', 'v10']);
  });
});
