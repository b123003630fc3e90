import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { specMount, sortByDepth, rootfsPropagation } from '../../src/engine/container-mounts.js';
import { ANONYMOUS_LABEL, parseApiMount, parseBind, parseTmpfs, planMounts, type MountRequest } from '../../src/volume/mount-config.js';
import { mergeTmpfsOptions, tmpfsOptionsFromApi } from '../../src/volume/tmpfs-options.js';

const message = (work: () => unknown): string => {
  try {
    work();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected an error');
};

describe('-v specs (HostConfig.Binds)', () => {
  it('binds a host path read-write with rprivate propagation by default', () => {
    assert.deepEqual(parseBind('/etc:/mnt').mount, {
      Type: 'bind', Source: '/etc', Destination: '/mnt', Mode: '', RW: true, Propagation: 'rprivate', CreateSource: true,
    });
  });

  it('reads ro, propagation and the SELinux and copy modes', () => {
    const bind = parseBind('/srv/data/:/data/:ro,rshared,Z').mount;
    assert.equal(bind.Source, '/srv/data');
    assert.equal(bind.Destination, '/data');
    assert.equal(bind.RW, false);
    assert.equal(bind.Propagation, 'rshared');
    assert.equal(bind.Mode, 'ro,rshared,Z');
    const volume = parseBind('cache:/cache:nocopy');
    assert.deepEqual(volume.mount, {
      Type: 'volume', Name: 'cache', Source: '', Destination: '/cache', Driver: 'local', Mode: 'nocopy', RW: true, Propagation: '', CopyData: false, Anonymous: false,
    });
    assert.equal(parseBind('cache:/cache').mount.Mode, 'z', 'docker shows z for a named volume without a mode');
  });

  it("refuses bad specs in docker's words", () => {
    assert.equal(message(() => parseBind('/etc:mnt')), `invalid volume specification: '/etc:mnt': invalid mount config for type "bind": invalid mount path: 'mnt' mount path must be absolute`);
    assert.equal(message(() => parseBind('/etc:/')), `invalid volume specification: '/etc:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`);
    assert.equal(message(() => parseBind('/a:/b:c:d')), "invalid volume specification: '/a:/b:c:d'");
    assert.equal(message(() => parseBind(':/b')), "invalid volume specification: ':/b'");
    assert.equal(message(() => parseBind('/data:ro')), "invalid volume specification: '/data:ro'");
    assert.equal(message(() => parseBind('/a:/b:ro,rw')), 'invalid mode: ro,rw');
    assert.equal(message(() => parseBind('/a:/b:bogus')), 'invalid mode: bogus');
    assert.equal(message(() => parseBind('name:/b:shared')), `invalid volume specification: 'name:/b:shared': invalid mount config for type "volume": field BindOptions must not be specified`);
    assert.equal(message(() => parseBind('/a:/b:nocopy')), `invalid volume specification: '/a:/b:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`);
  });
});

describe('--mount (HostConfig.Mounts)', () => {
  const exists = (path: string): boolean => path === '/srv';

  it('binds an existing source, read-only and with a propagation when asked', () => {
    assert.deepEqual(parseApiMount({ Type: 'bind', Source: '/srv', Target: '/x', ReadOnly: true, BindOptions: { Propagation: 'rslave' } }, exists).mount, {
      Type: 'bind', Source: '/srv', Destination: '/x', Mode: '', RW: false, Propagation: 'rslave',
    });
  });

  it("refuses what docker refuses, in its words", () => {
    assert.equal(message(() => parseApiMount({ Type: 'bind', Source: '/nope', Target: '/x' }, exists)), 'invalid mount config for type "bind": bind source path does not exist: /nope');
    assert.equal(message(() => parseApiMount({ Type: 'bind', Target: '/x' }, exists)), 'invalid mount config for type "bind": field Source must not be empty');
    assert.equal(message(() => parseApiMount({ Type: 'bind', Source: '/srv' }, exists)), 'invalid mount config for type "bind": field Target must not be empty');
    assert.equal(message(() => parseApiMount({ Type: 'bind', Source: '/srv', Target: '/x', BindOptions: { Propagation: 'sideways' } }, exists)), 'invalid mount config for type "bind": invalid propagation mode: sideways');
    assert.equal(message(() => parseApiMount({ Type: 'nfs', Target: '/x' }, exists)), 'invalid mount config for type "nfs": mount type unknown');
    assert.equal(message(() => parseApiMount({ Type: 'volume', Target: '/x', ReadOnly: true }, exists)), 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes');
    assert.equal(message(() => parseApiMount({ Type: 'tmpfs', Source: 'x', Target: '/x' }, exists)), 'invalid mount config for type "tmpfs": field Source must not be specified');
  });

  it('turns tmpfs size and mode into mount options as moby does', () => {
    const tmpfs = parseApiMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } }, exists).mount;
    assert.deepEqual(tmpfs.TmpfsOptions, ['size=64m', 'mode=1770']);
    assert.deepEqual(tmpfsOptionsFromApi({ SizeBytes: 1000 }, true), ['size=1000', 'ro']);
    assert.deepEqual(tmpfsOptionsFromApi({ SizeBytes: 3 * 1024 }, false), ['size=3k']);
  });

  it('keeps volume labels, driver and nocopy', () => {
    const planned = parseApiMount({ Type: 'volume', Source: 'db', Target: '/db', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } }, exists);
    assert.equal(planned.mount.CopyData, false);
    assert.deepEqual(planned.volume, { driver: 'local', labels: { a: 'b' }, options: {} });
  });
});

describe('--tmpfs (HostConfig.Tmpfs)', () => {
  it('checks options and values, and knows a read-only tmpfs', () => {
    assert.deepEqual(parseTmpfs('/run', 'size=64m,mode=1777').mount.TmpfsOptions, ['size=64m', 'mode=1777']);
    assert.equal(parseTmpfs('/run', 'ro').mount.RW, false);
    assert.equal(message(() => parseTmpfs('/run', 'size=lots')), 'Invalid tmpfs option "size=lots"');
    assert.equal(message(() => parseTmpfs('/run', 'mode=999')), 'Invalid tmpfs option "mode=999"');
    assert.equal(message(() => parseTmpfs('/run', 'bogus')), 'Invalid tmpfs option "bogus"');
    assert.equal(message(() => parseTmpfs('run', '')), "invalid mount path: 'run' mount path must be absolute");
  });

  it('merges over the defaults, later options winning', () => {
    assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'size=2m']), ['nosuid', 'nodev', 'rprivate', 'exec', 'size=2m']);
    assert.deepEqual(specMount(parseTmpfs('/t', 'size=1m').mount), { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1m'] });
  });
});

describe('planning all of a container\'s mounts', () => {
  const request = (overrides: Partial<MountRequest>): MountRequest => {
    let counter = 0;
    return { binds: [], mounts: [], tmpfs: {}, volumes: [], exists: () => true, newVolumeName: () => `anon${++counter}`, ...overrides };
  };

  it('refuses a destination given twice', () => {
    assert.equal(message(() => planMounts(request({ binds: ['/a:/x'], mounts: [{ Type: 'bind', Source: '/b', Target: '/x/' }] }))), 'Duplicate mount point: /x');
    assert.equal(message(() => planMounts(request({ binds: ['/a:/x'], tmpfs: { '/x': '' } }))), 'Duplicate mount point: /x');
  });

  it('gives Config.Volumes anonymous volumes unless something else is mounted there', () => {
    const planned = planMounts(request({ binds: ['/a:/x', '/y'], volumes: ['/x', '/z'] }));
    assert.deepEqual(planned.map((entry) => [entry.mount.Type, entry.mount.Destination, entry.mount.Name, entry.mount.Anonymous]), [
      ['bind', '/x', undefined, undefined],
      ['volume', '/y', 'anon1', true],
      ['volume', '/z', 'anon2', true],
    ]);
    assert.deepEqual(planned[1]!.volume!.labels, { [ANONYMOUS_LABEL]: '' });
    assert.equal(message(() => planMounts(request({ volumes: ['data'] }))), `invalid volume specification: 'data': invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute`);
  });

  it('takes mounts from other containers where the container mounts nothing of its own, before Config.Volumes', () => {
    const inherited = [
      { Type: 'volume' as const, Name: 'shared', Source: '/v/shared', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind' as const, Source: '/host', Destination: '/x', Mode: '', RW: true, Propagation: 'rprivate' },
    ];
    const planned = planMounts(request({ binds: ['/a:/x'], volumes: ['/data', '/z'], inherited }));
    assert.deepEqual(planned.map((entry) => [entry.mount.Type, entry.mount.Destination, entry.mount.Source, entry.volume === undefined]), [
      ['bind', '/x', '/a', true],
      ['volume', '/data', '/v/shared', true],
      ['volume', '/z', '', false],
    ]);
  });
});

describe('OCI mounts', () => {
  it('rbinds with the propagation and ro/rw, parents first', () => {
    const bind = parseBind('/a:/x/y:ro').mount;
    assert.deepEqual(specMount(bind), { destination: '/x/y', type: 'bind', source: '/a', options: ['rbind', 'rprivate', 'ro'] });
    const sorted = sortByDepth([specMount(bind), specMount(parseBind('/b:/x').mount)]);
    assert.deepEqual(sorted.map((mount) => mount.destination), ['/x', '/x/y']);
  });

  it('makes the root shared or slave only when a bind needs it', () => {
    assert.equal(rootfsPropagation([parseBind('/a:/x').mount]), undefined);
    assert.equal(rootfsPropagation([parseBind('/a:/x:rshared').mount]), 'shared');
    assert.equal(rootfsPropagation([parseBind('/a:/x:slave').mount]), 'rslave');
  });
});
