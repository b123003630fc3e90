import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isBerthError } from '../../src/common/errors.js';
import { VolumeStore } from '../../src/volume/volume-store.js';

describe('local volume store', () => {
  let dataRoot: string;
  let users: Map<string, string[]>;
  let events: string[];
  const open = (): Promise<VolumeStore> => VolumeStore.open(dataRoot, {
    usersOf: (name) => users.get(name) ?? [],
    onEvent: (action, name) => events.push(`${action} ${name}`),
  });
  const failure = async (work: Promise<unknown>): Promise<{ kind: string; message: string }> => {
    try {
      await work;
    } catch (error) {
      assert.ok(isBerthError(error), String(error));
      return { kind: error.kind, message: error.message };
    }
    assert.fail('expected an error');
  };

  beforeEach(async () => {
    dataRoot = await mkdtemp(join(tmpdir(), 'berth-volumes-'));
    users = new Map();
    events = [];
  });
  afterEach(async () => {
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('creates a volume once, under data-root/volumes/NAME/_data, and finds it again after a restart', async () => {
    const store = await open();
    const volume = await store.create({ Name: 'db', Labels: { tier: 'data' } });
    assert.equal(volume.Mountpoint, join(dataRoot, 'volumes/db/_data'));
    assert.ok(existsSync(volume.Mountpoint));
    assert.deepEqual({ ...volume, CreatedAt: '' }, {
      CreatedAt: '', Driver: 'local', Labels: { tier: 'data' }, Mountpoint: volume.Mountpoint, Name: 'db', Options: null, Scope: 'local',
    });
    assert.match(volume.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(await store.ensure({ Name: 'db' }), { volume, created: false });
    assert.deepEqual(events, ['create db']);
    const reopened = await open();
    assert.deepEqual(reopened.get('db'), volume);
  });

  it('names a volume created without a name with 64 hex digits', async () => {
    const store = await open();
    assert.match((await store.create({})).Name, /^[0-9a-f]{64}$/);
  });

  it('drops a directory a create left without metadata', async () => {
    await mkdir(join(dataRoot, 'volumes/half/_data'), { recursive: true });
    await writeFile(join(dataRoot, 'volumes/half/_data/file'), 'x');
    const store = await open();
    assert.deepEqual(store.list({}), []);
    assert.equal(existsSync(join(dataRoot, 'volumes/half')), false);
  });

  it("refuses bad names, other drivers and driver options in docker's words", async () => {
    const store = await open();
    assert.deepEqual(await failure(store.create({ Name: 'a' })), { kind: 'invalid-argument', message: 'create a: volume name is too short, names should be at least two alphanumeric characters' });
    assert.match((await failure(store.create({ Name: 'no/slash' }))).message, /^create no\/slash: "no\/slash" includes invalid characters for a local volume name/);
    assert.deepEqual(await failure(store.create({ Name: 'x1', Driver: 'nfs' })), { kind: 'not-found', message: 'error looking up volume plugin nfs: plugin "nfs" not found' });
    assert.deepEqual(await failure(store.create({ Name: 'x1', DriverOpts: { bogus: '1' } })), { kind: 'invalid-argument', message: 'create x1: invalid option: "bogus"' });
    assert.equal((await failure(store.create({ Name: 'x1', DriverOpts: { type: 'tmpfs' } }))).kind, 'invalid-argument');
    assert.equal(existsSync(join(dataRoot, 'volumes/x1')), false);
  });

  it('keeps a volume in use, forgives a missing one only with force', async () => {
    const store = await open();
    await store.create({ Name: 'db' });
    users.set('db', ['c1', 'c2']);
    assert.deepEqual(await failure(store.remove('db', { force: true })), { kind: 'conflict', message: 'remove db: volume is in use - [c1 c2]' });
    users.clear();
    await store.remove('db', { force: false });
    assert.equal(existsSync(join(dataRoot, 'volumes/db')), false);
    assert.deepEqual(await failure(store.remove('db', { force: false })), { kind: 'not-found', message: 'get db: no such volume' });
    await store.remove('db', { force: true });
    assert.deepEqual(events, ['create db', 'destroy db']);
  });

  it('lists with the name, label, driver and dangling filters', async () => {
    const store = await open();
    await store.create({ Name: 'web-data', Labels: { app: 'web' } });
    await store.create({ Name: 'db-data', Labels: { app: 'db', tier: 'data' } });
    users.set('db-data', ['c1']);
    const names = (filters: Record<string, string[]>): string[] => store.list(filters).map((volume) => volume.Name).sort();
    assert.deepEqual(names({ name: ['^web'] }), ['web-data']);
    assert.deepEqual(names({ label: ['app'] }), ['db-data', 'web-data']);
    assert.deepEqual(names({ label: ['app=db', 'tier'] }), ['db-data']);
    assert.deepEqual(names({ dangling: ['true'] }), ['web-data']);
    assert.deepEqual(names({ dangling: ['0'] }), ['db-data']);
    assert.deepEqual(names({ driver: ['local'] }), ['db-data', 'web-data']);
    assert.equal((await failure(Promise.resolve().then(() => store.list({ dangling: ['maybe'] })))).message, "invalid filter 'dangling=maybe'");
    assert.equal((await failure(Promise.resolve().then(() => store.list({ size: ['1'] })))).message, "invalid filter 'size'");
  });

  it('prunes unused anonymous volumes, or all unused ones when asked, with their size', async () => {
    const store = await open();
    const anonymous = await store.create({ Labels: { 'com.docker.volume.anonymous': '' } });
    await writeFile(join(anonymous.Mountpoint, 'file'), 'twelve bytes');
    await store.create({ Name: 'named', Labels: { keep: 'yes' } });
    await store.create({ Name: 'used' });
    users.set('used', ['c1']);
    assert.deepEqual(await store.prune({}, { allByDefault: false }), { VolumesDeleted: [anonymous.Name], SpaceReclaimed: 12 });
    assert.deepEqual(await store.prune({ all: ['true'], 'label!': ['keep=yes'] }, { allByDefault: false }), { VolumesDeleted: [], SpaceReclaimed: 0 });
    assert.deepEqual(await store.prune({}, { allByDefault: true }), { VolumesDeleted: ['named'], SpaceReclaimed: 0 });
    assert.deepEqual(store.list({}).map((volume) => volume.Name), ['used']);
    assert.deepEqual((await store.usage()).map((volume) => volume.UsageData), [{ Size: 0, RefCount: 1 }]);
  });
});
