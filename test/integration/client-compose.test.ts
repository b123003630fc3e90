import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hasDockerCli, isRoot, TestDaemon, type CommandResult } from '../helpers/daemon.js';

const hasCompose = spawnSync('docker-compose', ['version']).status === 0;

/**
 * Two services as a compose user writes them, sharing a named volume the database
 * writes into. berth has no bridge networks yet (the default network of a
 * container is none), so each service says which network mode it runs in;
 * compose then creates no network of its own.
 */
const composeFile = `version: "3.8"
services:
  db:
    image: busybox
    network_mode: none
    command: sh -c 'echo db up as $$ROLE; echo written by db > /store/marker; while true; do sleep 1; done'
    environment:
      ROLE: database
    volumes:
      - store:/store
  web:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "echo web up as $$ROLE; exec sleep 600"]
    environment:
      - ROLE=frontend
    volumes:
      - store:/shared:ro
    depends_on:
      - db
volumes:
  store:
`;

/** The same services on compose's default network, which berth cannot create yet. */
const composeFileWithDefaultNetwork = `version: "3.8"
services:
  app:
    image: busybox
    command: sleep 600
`;

/** A dependency that becomes healthy only after a second: compose must wait for it (compose-spec long form). */
const composeFileWithHealthyDependency = `services:
  db:
    image: busybox
    network_mode: none
    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 600'
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 200ms
      retries: 50
  web:
    image: busybox
    network_mode: none
    command: sleep 600
    depends_on:
      db:
        condition: service_healthy
`;

interface ContainerSummary {
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

describe('docker-compose 1.29 against berthd', {
  skip: (!isRoot && 'needs root') || (!hasCompose && 'docker-compose is not installed (Debian package docker-compose)'),
}, () => {
  let daemon: TestDaemon;
  let projectDir: string;
  const project = `berthcompose${randomBytes(3).toString('hex')}`;

  /**
   * By default compose hands exec and run to the docker CLI; `ownExec` keeps
   * them in compose's own docker-py code, so the test drives compose itself.
   */
  const compose = (args: string[], { file = 'docker-compose.yml', ownExec = true, name = project } = {}): CommandResult => {
    const run = spawnSync('docker-compose', ['-f', join(projectDir, file), '-p', name, '--no-ansi', ...args], {
      cwd: projectDir,
      encoding: 'utf8',
      env: {
        ...process.env,
        DOCKER_HOST: daemon.host,
        DOCKER_CONFIG: join(daemon.dir, 'docker-config'),
        ...(ownExec ? { COMPOSE_INTERACTIVE_NO_CLI: '1' } : {}),
      },
      timeout: 120_000,
    });
    return { status: run.status ?? 128, stdout: run.stdout, stderr: run.stderr };
  };

  const projectContainers = async (): Promise<ContainerSummary[]> => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));
    const response = await daemon.api('GET', `/containers/json?all=1&filters=${filters}`);
    assert.equal(response.status, 200);
    return JSON.parse(response.body.toString()) as ContainerSummary[];
  };

  before(async () => {
    daemon = await TestDaemon.start();
    projectDir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
    writeFileSync(join(projectDir, 'docker-compose.yml'), composeFile);
    writeFileSync(join(projectDir, 'default-network.yml'), composeFileWithDefaultNetwork);
    writeFileSync(join(projectDir, 'healthy.yml'), composeFileWithHealthyDependency);
  });
  after(async () => {
    if (daemon && projectDir) compose(['down', '-v', '--timeout', '1']);
    await daemon?.stop();
    if (projectDir) rmSync(projectDir, { recursive: true, force: true });
  });

  test('up -d starts both services, the dependency first, labelled as compose expects', async () => {
    const up = compose(['up', '-d']);
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}\n${daemon.log}`);
    const output = up.stdout + up.stderr;
    assert.ok(output.indexOf(`Creating ${project}_db_1`) < output.indexOf(`Creating ${project}_web_1`), output);

    const containers = await projectContainers();
    assert.deepEqual(containers.map((c) => c.Names[0]).sort(), [`/${project}_db_1`, `/${project}_web_1`]);
    for (const container of containers) {
      assert.equal(container.State, 'running');
      const service = container.Names[0]!.endsWith('_db_1') ? 'db' : 'web';
      assert.equal(container.Labels['com.docker.compose.service'], service);
      assert.equal(container.Labels['com.docker.compose.container-number'], '1');
      assert.equal(container.Labels['com.docker.compose.oneoff'], 'False');
      assert.match(container.Labels['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    }

    const started = (name: string): number => Date.parse(JSON.parse(daemon.berth(['inspect', name]).stdout)[0].State.StartedAt);
    assert.ok(started(`${project}_db_1`) <= started(`${project}_web_1`));
  });

  test('ps lists the services as Up', () => {
    const ps = compose(['ps']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${project}_db_1\\s.*\\sUp`));
    assert.match(ps.stdout, new RegExp(`${project}_web_1\\s.*\\sUp`));
  });

  test('logs show each service\'s command output with its environment', async () => {
    let logs: CommandResult | undefined;
    // The services print once they run; up -d does not wait for their first line.
    for (let attempt = 0; attempt < 50; attempt++) {
      logs = compose(['logs', '--no-color']);
      if (/web up as frontend/.test(logs.stdout) && /db up as database/.test(logs.stdout)) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    assert.equal(logs!.status, 0, logs!.stderr);
    assert.match(logs!.stdout, /web_1\s+\| web up as frontend/);
    assert.match(logs!.stdout, /db_1\s+\| db up as database/);
  });

  test('exec runs in the service container and returns its exit code', () => {
    const env = compose(['exec', '-T', 'web', 'sh', '-c', 'echo "$ROLE $(hostname)"']);
    assert.equal(env.status, 0, env.stderr);
    const [role, hostname] = env.stdout.trim().split(' ');
    assert.equal(role, 'frontend');
    const id = JSON.parse(daemon.berth(['inspect', `${project}_web_1`]).stdout)[0].Id as string;
    assert.equal(hostname, id.slice(0, 12));

    const failing = compose(['exec', '-T', 'db', 'sh', '-c', 'exit 3']);
    assert.equal(failing.status, 3);
  });

  test('the services share the named volume compose made for the project, labelled as compose expects', async () => {
    let marker: CommandResult | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      marker = compose(['exec', '-T', 'web', 'cat', '/shared/marker']);
      if (marker.status === 0) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    assert.equal(marker!.stdout, 'written by db\n', marker!.stderr);
    const readOnly = compose(['exec', '-T', 'web', 'touch', '/shared/x']);
    assert.notEqual(readOnly.status, 0);
    const labels = JSON.parse(daemon.berth(['volume', 'inspect', '-f', '{{json .Labels}}', `${project}_store`]).stdout) as Record<string, string>;
    assert.equal(labels['com.docker.compose.project'], project);
    assert.equal(labels['com.docker.compose.volume'], 'store');
  });

  // Compose's own run path (dockerpty) attaches only after starting the container, so
  // output printed at once is lost against any engine; users get the docker CLI path.
  test('run --rm makes a one-off container of a service and removes it', { skip: !hasDockerCli && 'no docker CLI' }, async () => {
    const run = compose(['run', '--rm', '-T', 'web', 'sh', '-c', 'echo one-off $ROLE'], { ownExec: false });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /one-off frontend/);
    assert.equal((await projectContainers()).length, 2);
  });

  test('down -v stops and removes every container and volume of the project', async () => {
    const down = compose(['down', '-v', '--timeout', '1']);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(await projectContainers(), []);
    assert.equal(daemon.berth(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout, '');
    assert.equal(compose(['ps', '-q']).stdout.trim(), '');
  });

  test('depends_on with condition service_healthy waits for the dependency\'s healthcheck', () => {
    const name = `${project}h`;
    try {
      const up = compose(['up', '-d'], { file: 'healthy.yml', name });
      assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
      const state = (container: string) => JSON.parse(daemon.berth(['inspect', '-f', '{{json .State}}', `${name}_${container}_1`]).stdout) as { StartedAt: string; Health?: { Status: string } };
      const db = state('db');
      assert.equal(db.Health?.Status, 'healthy');
      assert.ok(Date.parse(state('web').StartedAt) - Date.parse(db.StartedAt) >= 1000, 'web started only once db was healthy, a second after it started');
    } finally {
      compose(['down', '--timeout', '1'], { file: 'healthy.yml', name });
    }
  });

  test('a project on the default network fails clearly, saying what to use instead, and leaves nothing', async () => {
    const up = compose(['up', '-d'], { file: 'default-network.yml' });
    assert.notEqual(up.status, 0);
    assert.match(up.stderr, /network_mode/);
    assert.deepEqual(await projectContainers(), []);
  });
});
