import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { isRoot, REPO, TestDaemon } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';

const SUITE = 'test/clients/docker_py/test_docker_py.py';

/**
 * Debian's python3-docker lives in the system interpreter's dist-packages, which
 * another python3 earlier on PATH (pyenv, a venv) does not see: take the first
 * interpreter that imports both docker and pytest.
 */
function findPython(): string | undefined {
  return ['/usr/bin/python3', 'python3'].find((python) => spawnSync(python, ['-c', 'import docker, pytest']).status === 0);
}

const python = findPython();

describe('docker-py (the Docker SDK for Python) against berthd', {
  skip: (!isRoot && 'needs root') || (!python && 'no python3 that imports docker and pytest (Debian packages python3-docker, python3-pytest)'),
}, () => {
  let daemon: TestDaemon;
  let registry: TestRegistry | undefined;
  before(async () => {
    daemon = await TestDaemon.start();
    if (hasRegistry) registry = await TestRegistry.start();
  });
  after(async () => {
    await daemon?.stop();
    await registry?.stop();
  });

  test('its pytest suite passes', (t) => {
    const run = spawnSync(python!, ['-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider', '-W', 'ignore::DeprecationWarning', SUITE], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: daemon.host, PYTHONDONTWRITEBYTECODE: '1', ...(registry ? { BERTH_TEST_REGISTRY: registry.host } : {}) },
      timeout: 240_000,
    });
    const report = `pytest exited ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}\nberthd log:\n${daemon.log}`;
    assert.equal(run.status, 0, report);
    // An explicit file, so "no tests collected" (exit 5) cannot pass for green; and most must really run.
    const passed = Number(/(\d+) passed/.exec(run.stdout)?.[1] ?? 0);
    assert.ok(passed >= 10, report);
    for (const line of run.stdout.split('\n')) if (line.startsWith('SKIPPED')) t.diagnostic(line);
  });
});
