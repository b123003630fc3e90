import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesContainerFilters, statusText, validateContainerFilters } from '../../src/engine/container-views.js';
import { defaultHostConfig } from '../../src/engine/create-config.js';
import { initialState, type ContainerRecord, type ContainerState } from '../../src/engine/container-record.js';
import { BerthError, notFound } from '../../src/common/errors.js';
import type { Filters } from '../../src/engine/types.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ago = (milliseconds: number): string => new Date(NOW - milliseconds).toISOString();

function record(name: string, options: {
  id: string;
  created: string;
  state?: Partial<ContainerState>;
  labels?: Record<string, string>;
  image?: string;
  imageId?: string;
  network?: string;
}): ContainerRecord {
  const hostConfig = defaultHostConfig('crun');
  if (options.network) hostConfig.NetworkMode = options.network;
  return {
    Id: options.id,
    Created: options.created,
    Path: 'sh',
    Args: ['-c', 'true'],
    State: { ...initialState(), ...options.state },
    Image: options.imageId ?? 'sha256:aaaa1111',
    Name: `/${name}`,
    RestartCount: 0,
    Driver: 'overlay2',
    Platform: 'linux',
    HostnamePath: '', HostsPath: '', ResolvConfPath: '', LogPath: '',
    Config: {
      Hostname: name, Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['sh'], Image: options.image ?? 'busybox',
      Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: options.labels ?? {},
    },
    HostConfig: hostConfig,
    MonitorPid: 0,
  };
}

const running = (startedAgo: number, paused = false): Partial<ContainerState> => ({
  Status: paused ? 'paused' : 'running', Running: true, Paused: paused, Pid: 42, StartedAt: ago(startedAgo),
});
const exited = (code: number, finishedAgo: number): Partial<ContainerState> => ({
  Status: 'exited', ExitCode: code, StartedAt: ago(finishedAgo + 60_000), FinishedAt: ago(finishedAgo),
});

describe('statusText', () => {
  it('Created', () => {
    assert.equal(statusText(record('a', { id: '1', created: ago(0) }), NOW), 'Created');
  });

  it('Up <duration>', () => {
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: running(3_000) }), NOW), 'Up 3 seconds');
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: running(500) }), NOW), 'Up Less than a second');
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: running(2 * 3_600_000) }), NOW), 'Up 2 hours');
  });

  it('Up <duration> (Paused)', () => {
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: running(60_000, true) }), NOW), 'Up About a minute (Paused)');
  });

  it('Up <duration> with the health of a container that has a healthcheck', () => {
    const withHealth = (status: 'starting' | 'healthy' | 'unhealthy') =>
      statusText(record('a', { id: '1', created: ago(0), state: { ...running(3_000), Health: { Status: status, FailingStreak: 0, Log: [] } } }), NOW);
    assert.equal(withHealth('starting'), 'Up 3 seconds (health: starting)');
    assert.equal(withHealth('healthy'), 'Up 3 seconds (healthy)');
    assert.equal(withHealth('unhealthy'), 'Up 3 seconds (unhealthy)');
  });

  it('filters by health, none for a container without a healthcheck', () => {
    const healthy = record('a', { id: '1', created: ago(0), state: { ...running(3_000), Health: { Status: 'healthy', FailingStreak: 0, Log: [] } } });
    const plain = record('b', { id: '2', created: ago(0), state: running(3_000) });
    const find = (): ContainerRecord => { throw notFound('x'); };
    const matches = (r: ContainerRecord, value: string) => matchesContainerFilters(r, { health: [value] }, find, () => undefined);
    assert.deepEqual([matches(healthy, 'healthy'), matches(healthy, 'none'), matches(plain, 'none'), matches(plain, 'healthy')], [true, false, true, false]);
    assert.throws(() => validateContainerFilters({ health: ['fine'] }), /Unrecognised filter value for health: fine/);
  });

  it('Exited (<code>) <duration> ago', () => {
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: exited(0, 5 * 60_000) }), NOW), 'Exited (0) 5 minutes ago');
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: exited(137, 1_000) }), NOW), 'Exited (137) 1 second ago');
  });

  it('Removal In Progress and Dead', () => {
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: { Status: 'removing' } }), NOW), 'Removal In Progress');
    assert.equal(statusText(record('a', { id: '1', created: ago(0), state: { Status: 'dead', Dead: true } }), NOW), 'Dead');
  });
});

describe('validateContainerFilters', () => {
  const refuses = (filters: Filters, message: string): void => {
    assert.throws(() => validateContainerFilters(filters), (error: unknown) => {
      assert.ok(error instanceof BerthError);
      assert.equal(error.kind, 'invalid-argument');
      assert.equal(error.message, message);
      return true;
    });
  };

  it('accepts docker\'s container filter keys and values', () => {
    validateContainerFilters({});
    validateContainerFilters({
      id: ['abc'], name: ['web'], label: ['a=b'], status: ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'],
      ancestor: ['busybox'], exited: ['0', '137', '-1'], before: ['x'], since: ['y'], network: ['host'], health: ['healthy'],
      isolation: ['default'], 'is-task': ['false'], volume: ['v'], publish: ['80'], expose: ['80'],
    });
  });

  it('refuses an unknown key', () => {
    refuses({ bogus: ['1'] }, 'invalid filter \'bogus\'');
    refuses({ dangling: ['true'] }, 'invalid filter \'dangling\'');
  });

  it('refuses an unknown status', () => {
    refuses({ status: ['running', 'stopped'] }, 'invalid filter \'status=stopped\'');
    refuses({ status: ['Running'] }, 'invalid filter \'status=Running\'');
  });

  it('refuses an exit code that is not an integer', () => {
    refuses({ exited: ['x'] }, 'invalid filter \'exited=x\'');
    refuses({ exited: ['1.5'] }, 'invalid filter \'exited=1.5\'');
    refuses({ exited: [''] }, 'invalid filter \'exited=\'');
  });
});

describe('matchesContainerFilters', () => {
  const web = record('web', {
    id: 'aaaa000011112222', created: '2026-06-01T10:00:00.000Z', state: running(60_000),
    labels: { env: 'prod', tier: 'front', empty: '' }, image: 'nginx:1.25', imageId: 'sha256:abcdef123456', network: 'none',
  });
  const db = record('db', {
    id: 'bbbb000011112222', created: '2026-06-01T11:00:00.000Z', state: exited(3, 60_000),
    labels: { env: 'prod' }, image: 'postgres', imageId: 'sha256:fedcba654321', network: 'host',
  });
  const fresh = record('fresh-web', { id: 'cccc000011112222', created: '2026-06-01T11:30:00.000Z' });
  const all = [web, db, fresh];

  const find = (ref: string): ContainerRecord => {
    const found = all.find((r) => r.Id.startsWith(ref) || r.Name === `/${ref}`);
    if (!found) throw notFound(`No such container: ${ref}`);
    return found;
  };
  const imageIdOf = (ref: string): string | undefined => (ref === 'nginx' || ref === 'nginx:1.25' ? 'sha256:abcdef123456' : undefined);
  const names = (filters: Filters): string[] =>
    all.filter((r) => matchesContainerFilters(r, filters, find, imageIdOf)).map((r) => r.Name.slice(1));

  it('no filters match everything', () => {
    assert.deepEqual(names({}), ['web', 'db', 'fresh-web']);
    assert.deepEqual(names({ name: [] }), ['web', 'db', 'fresh-web']);
  });

  it('id: prefix', () => {
    assert.deepEqual(names({ id: ['aaaa'] }), ['web']);
    assert.deepEqual(names({ id: ['aaaa', 'cccc0000'] }), ['web', 'fresh-web']);
    assert.deepEqual(names({ id: ['0000'] }), []);
  });

  it('name: unanchored regular expression, with or without the slash', () => {
    assert.deepEqual(names({ name: ['web'] }), ['web', 'fresh-web']);
    assert.deepEqual(names({ name: ['^web$'] }), ['web']);
    assert.deepEqual(names({ name: ['/db'] }), ['db']);
    assert.deepEqual(names({ name: ['^d', '^f'] }), ['db', 'fresh-web']);
  });

  it('name: a pattern anchored on the slash matches, as docker tries both forms', () => {
    assert.deepEqual(names({ name: ['^/web$'] }), ['web']);
  });

  it('name: an invalid regular expression matches nothing instead of throwing, as docker', () => {
    assert.deepEqual(names({ name: ['['] }), []);
  });

  it('label: every value must match (AND); key alone means present', () => {
    assert.deepEqual(names({ label: ['env=prod'] }), ['web', 'db']);
    assert.deepEqual(names({ label: ['env=prod', 'tier=front'] }), ['web']);
    assert.deepEqual(names({ label: ['env'] }), ['web', 'db']);
    assert.deepEqual(names({ label: ['tier'] }), ['web']);
    assert.deepEqual(names({ label: ['env=dev'] }), []);
    assert.deepEqual(names({ label: ['env=prod', 'env=dev'] }), []);
    assert.deepEqual(names({ label: ['empty='] }), ['web']);
    assert.deepEqual(names({ label: ['env=pro'] }), []);
  });

  it('label: names inherited from Object.prototype are not labels', () => {
    assert.deepEqual(names({ label: ['constructor'] }), []);
    assert.deepEqual(names({ label: ['toString'] }), []);
  });

  it('status: any of the values', () => {
    assert.deepEqual(names({ status: ['running'] }), ['web']);
    assert.deepEqual(names({ status: ['exited', 'created'] }), ['db', 'fresh-web']);
    assert.deepEqual(names({ status: ['paused'] }), []);
  });

  it('exited: exit code of exited containers only', () => {
    assert.deepEqual(names({ exited: ['3'] }), ['db']);
    assert.deepEqual(names({ exited: ['0'] }), []);
    assert.deepEqual(names({ exited: ['0', '3'] }), ['db']);
  });

  it('ancestor: by reference, by resolved image id, or by id prefix', () => {
    assert.deepEqual(names({ ancestor: ['nginx:1.25'] }), ['web']);
    assert.deepEqual(names({ ancestor: ['nginx'] }), ['web']);
    assert.deepEqual(names({ ancestor: ['fedcba'] }), ['db']);
    assert.deepEqual(names({ ancestor: ['postgres', 'busybox'] }), ['db', 'fresh-web']);
    assert.deepEqual(names({ ancestor: ['alpine'] }), []);
  });

  it('before and since: by creation time of the named container', () => {
    assert.deepEqual(names({ before: ['db'] }), ['web']);
    assert.deepEqual(names({ since: ['db'] }), ['fresh-web']);
    assert.deepEqual(names({ since: ['web'], before: ['fresh-web'] }), ['db']);
    assert.deepEqual(names({ before: ['aaaa'] }), []);
  });

  it('before and since an unknown container match nothing', () => {
    assert.deepEqual(names({ before: ['nosuch'] }), []);
    assert.deepEqual(names({ since: ['nosuch'] }), []);
  });

  it('network: by network mode', () => {
    assert.deepEqual(names({ network: ['host'] }), ['db']);
    assert.deepEqual(names({ network: ['none'] }), ['web', 'fresh-web']);
  });

  it('different keys must all match (AND)', () => {
    assert.deepEqual(names({ label: ['env=prod'], status: ['exited'] }), ['db']);
    assert.deepEqual(names({ name: ['web'], status: ['created'] }), ['fresh-web']);
    assert.deepEqual(names({ name: ['web'], network: ['host'] }), []);
  });
});
