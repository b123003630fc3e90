import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountTarget } from '../../src/engine/archive-mount-target.js';
import type { MountPoint } from '../../src/volume/mount-point.js';

const mount = (Type: MountPoint['Type'], Destination: string, Source: string): MountPoint => ({ Type, Destination, Source, Mode: '', RW: true, Propagation: '' });

describe('mountTarget: the bind or volume holding a docker cp path', () => {
  const mounts = [
    mount('volume', '/var/lib/db', '/data/volumes/db/_data'),
    mount('bind', '/srv', '/home/site'),
    mount('bind', '/srv/static', '/home/static'),
    mount('tmpfs', '/run', ''),
  ];
  const where = (path: string) => {
    const target = mountTarget(mounts, path);
    return target && [target.mount.Source, target.path];
  };

  it('leaves paths outside every mount to the rootfs', () => {
    assert.equal(where('/etc/passwd'), undefined);
    assert.equal(where('/var/lib'), undefined);
    assert.equal(where('/var/lib/dbx/file'), undefined);
    assert.equal(where('/'), undefined);
  });

  it('maps a path below a mount point into the mount source', () => {
    assert.deepEqual(where('/var/lib/db/base/1'), ['/data/volumes/db/_data', '/base/1']);
    assert.deepEqual(where('var/lib/db/../db/x'), ['/data/volumes/db/_data', '/x']);
  });

  it('takes the deepest mount', () => {
    assert.deepEqual(where('/srv/static/logo.png'), ['/home/static', '/logo.png']);
    assert.deepEqual(where('/srv/index.html'), ['/home/site', '/index.html']);
  });

  it('keeps the trailing / and /. that docker cp gives meaning to', () => {
    assert.deepEqual(where('/var/lib/db'), ['/data/volumes/db/_data', '/']);
    assert.deepEqual(where('/var/lib/db/'), ['/data/volumes/db/_data', '/']);
    assert.deepEqual(where('/var/lib/db/.'), ['/data/volumes/db/_data', '/.']);
    assert.deepEqual(where('/srv/static/css/'), ['/home/static', '/css/']);
    assert.deepEqual(where('/srv/static/css/.'), ['/home/static', '/css/.']);
  });

  it('does not follow tmpfs mounts, which have no host side', () => {
    assert.equal(where('/run/app.pid'), undefined);
  });
});
