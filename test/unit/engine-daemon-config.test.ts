import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, DEFAULT_SOCKET, defaultDaemonConfig, loadDaemonConfig } from '../../src/engine/daemon-config.js';
import { BerthError } from '../../src/common/errors.js';

describe('defaultDaemonConfig', () => {
  it('has berth\'s defaults', () => {
    assert.equal(DEFAULT_SOCKET, '/run/berth/berth.sock');
    assert.equal(DEFAULT_CONFIG_FILE, '/etc/berth/daemon.json');
    assert.deepEqual(defaultDaemonConfig(), {
      'data-root': '/var/lib/berth',
      'exec-root': '/run/berth',
      hosts: ['unix:///run/berth/berth.sock'],
      'default-runtime': 'crun',
      runtimes: { crun: { path: '/usr/bin/crun' }, runc: { path: '/usr/sbin/runc' } },
      'fix-cgroup-layout': true,
      'insecure-registries': [],
      'registry-mirrors': [],
      'max-concurrent-downloads': 3,
      'max-concurrent-uploads': 5,
      'max-download-attempts': 5,
    });
  });

  it('returns a fresh object each time', () => {
    const first = defaultDaemonConfig();
    first.hosts.push('tcp://127.0.0.1:2375');
    first.runtimes.crun!.path = '/elsewhere';
    assert.deepEqual(defaultDaemonConfig().hosts, ['unix:///run/berth/berth.sock']);
    assert.equal(defaultDaemonConfig().runtimes.crun!.path, '/usr/bin/crun');
  });
});

describe('loadDaemonConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-daemon-config-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, content: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it('a missing optional file gives the defaults', async () => {
    assert.deepEqual(await loadDaemonConfig(join(dir, 'absent.json'), false), defaultDaemonConfig());
  });

  it('a missing required file is an error', async () => {
    await assert.rejects(loadDaemonConfig(join(dir, 'absent.json'), true), { code: 'ENOENT' });
  });

  it('a file overrides the defaults key by key', async () => {
    const path = await write('some.json', JSON.stringify({ 'data-root': '/srv/berth', 'fix-cgroup-layout': false, 'default-runtime': 'runc' }));
    const config = await loadDaemonConfig(path, true);
    assert.equal(config['data-root'], '/srv/berth');
    assert.equal(config['default-runtime'], 'runc');
    assert.equal(config['exec-root'], '/run/berth');
    assert.deepEqual(config.hosts, ['unix:///run/berth/berth.sock']);
    assert.equal(config['fix-cgroup-layout'], false);
  });

  it('runtimes from the file are added to the built-in ones, replacing same names', async () => {
    const path = await write('runtimes.json', JSON.stringify({
      runtimes: { 'crun-debug': { path: '/opt/crun', runtimeArgs: ['--debug'] }, runc: { path: '/opt/runc' } },
    }));
    const config = await loadDaemonConfig(path, false);
    assert.deepEqual(config.runtimes, {
      crun: { path: '/usr/bin/crun' },
      runc: { path: '/opt/runc' },
      'crun-debug': { path: '/opt/crun', runtimeArgs: ['--debug'] },
    });
  });

  it('an empty object is the defaults', async () => {
    assert.deepEqual(await loadDaemonConfig(await write('empty.json', '{}'), true), defaultDaemonConfig());
  });

  it('refuses unknown keys with docker\'s message', async () => {
    const path = await write('unknown.json', JSON.stringify({ 'data-root': '/srv', 'log-driver': 'json-file' }));
    await assert.rejects(loadDaemonConfig(path, false), (error: unknown) => {
      assert.ok(error instanceof BerthError);
      assert.equal(error.kind, 'invalid-argument');
      assert.equal(error.message, 'the following directives don\'t match any configuration option: log-driver');
      return true;
    });
  });

  it('refuses a file that is not JSON, naming the file', async () => {
    const path = await write('broken.json', '{ "fix-cgroup-layout": tru');
    await assert.rejects(loadDaemonConfig(path, false), (error: unknown) => {
      assert.ok(error instanceof BerthError);
      assert.equal(error.kind, 'invalid-argument');
      assert.ok(error.message.startsWith(`unable to configure the berth daemon with file ${path}: `), error.message);
      return true;
    });
  });

  it('refuses a JSON document that is not an object', async () => {
    for (const [name, content] of [['null.json', 'null'], ['array.json', '[]'], ['string.json', '"x"']] as const) {
      const path = await write(name, content);
      await assert.rejects(loadDaemonConfig(path, false), (error: unknown) => {
        assert.ok(error instanceof BerthError, `${name}: ${String(error)}`);
        assert.ok(error.message.startsWith(`unable to configure the berth daemon with file ${path}`), `${name}: ${error.message}`);
        return true;
      });
    }
  });

  it('a directory where the file should be is an error even when optional', async () => {
    await assert.rejects(loadDaemonConfig(dir, false), { code: 'EISDIR' });
  });
});
