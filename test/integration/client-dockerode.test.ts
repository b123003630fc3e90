import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { after, before, describe, test, type TestContext } from 'node:test';
import Docker from 'dockerode';
import { isRoot, TestDaemon } from '../helpers/daemon.js';
import { TestRegistry, hasRegistry } from '../helpers/registry.js';

const RUN_LABEL = 'berth.test.dockerode';
const RUN_ID = `${process.pid}-${Date.now()}`;
const LABELS = { [RUN_LABEL]: RUN_ID };
const TEST_REPOSITORY = `berth-test/dockerode-${process.pid}`;

/** What dockerode's errors carry besides the message. */
interface ApiError extends Error {
  statusCode?: number;
}

/** Everything a stream gives until it ends. */
async function collectBytes(stream: Readable | NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function collect(stream: Readable | NodeJS.ReadableStream): Promise<string> {
  return (await collectBytes(stream)).toString();
}

/** A multiplexed (non-tty) stream split into stdout and stderr text with dockerode's own demuxer. */
async function demux(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const texts = Promise.all([collect(stdout), collect(stderr)]);
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolveEnd, reject) => {
    stream.on('end', resolveEnd);
    stream.on('close', resolveEnd);
    stream.on('error', reject);
  });
  stdout.end();
  stderr.end();
  const [out, err] = await texts;
  return { stdout: out, stderr: err };
}

/** A tar archive of one file, made by the host's tar. */
function singleFileTar(name: string, content: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dockerode-tar-'));
  try {
    writeFileSync(join(dir, name), content);
    const tar = spawnSync('tar', ['-C', dir, '-cf', '-', name]);
    assert.equal(tar.status, 0, tar.stderr.toString());
    return tar.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `call`; skips the test when berthd answers 501 (not implemented yet), so it runs once the endpoint lands. */
async function unlessUnimplemented<T>(t: TestContext, what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if ((error as ApiError).statusCode !== 501) throw error;
    t.skip(`berthd does not implement ${what} yet (501)`);
    return undefined;
  }
}

async function statusCodeOf(call: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await call();
    return undefined;
  } catch (error) {
    return (error as ApiError).statusCode;
  }
}

describe('dockerode against berthd', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  let docker: Docker;

  /** A started busybox container of this run. */
  async function start(cmd: string[], options: Docker.ContainerCreateOptions = {}): Promise<Docker.Container> {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: cmd, Labels: LABELS, ...options });
    await container.start();
    return container;
  }

  before(async () => {
    daemon = await TestDaemon.start();
    docker = new Docker({ socketPath: daemon.socket });
  });
  after(async () => {
    if (docker) {
      for (const info of await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${RUN_ID}`] } })) {
        await docker.getContainer(info.Id).remove({ force: true });
      }
    }
    await daemon?.stop();
  });

  test('ping, version and info', async () => {
    assert.equal(String(await docker.ping()), 'OK');
    const version = await docker.version();
    assert.equal(version.ApiVersion, '1.44');
    assert.equal(version.Os, 'linux');
    const info = await docker.info();
    assert.ok(info.Images >= 1);
    assert.equal(typeof info.Containers, 'number');
  });

  test('run attaches, demultiplexes stdout from stderr and reports the exit code', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const texts = Promise.all([collect(stdout), collect(stderr)]);
    const [result, container] = (await docker.run('busybox', ['sh', '-c', 'echo out; echo err >&2; exit 3'], [stdout, stderr], {
      Labels: LABELS,
      Tty: false, // dockerode's run defaults to a tty, which has no stderr of its own
    })) as [{ StatusCode: number }, Docker.Container];
    assert.equal(result.StatusCode, 3);
    assert.deepEqual(await texts, ['out\n', 'err\n']);
    await container.remove();
  });

  test('createContainer with HostConfig limits, then inspect shows them', async () => {
    const container = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sleep', '300'],
      Labels: LABELS,
      HostConfig: { Memory: 64 * 1024 * 1024, CpuShares: 512, PidsLimit: 50, NanoCpus: 500_000_000 },
    });
    await container.start();
    const inspected = await container.inspect();
    assert.equal(inspected.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(inspected.HostConfig.CpuShares, 512);
    assert.equal(inspected.HostConfig.PidsLimit, 50);
    assert.equal(inspected.HostConfig.NanoCpus, 500_000_000);
    assert.equal(inspected.Config.Labels[RUN_LABEL], RUN_ID);
    assert.equal(inspected.State.Running, true);
  });

  test('logs follow a running container, stdout and stderr apart', async () => {
    const container = await start(['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done; echo oops >&2']);
    const stream = await container.logs({ follow: true, stdout: true, stderr: true });
    assert.deepEqual(await demux(docker, stream), { stdout: 'line 1\nline 2\nline 3\n', stderr: 'oops\n' });
    const tail = await container.logs({ follow: false, stdout: true, stderr: true, tail: 1 });
    assert.match(tail.toString(), /oops\n$/);
  });

  test('hijacked attach pipes stdin in and demultiplexes the output', async () => {
    const container = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'cat; echo stdin closed >&2'],
      Labels: LABELS,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const output = demux(docker, stream);
    await container.start();
    (stream as NodeJS.ReadWriteStream).end('through the attach\n');
    assert.deepEqual(await output, { stdout: 'through the attach\n', stderr: 'stdin closed\n' });
    assert.equal((await container.wait()).StatusCode, 0);
  });

  test('exec with hijack pipes stdin and reports the exit code', async () => {
    const container = await start(['sleep', '300']);
    const exec = await container.exec({
      Cmd: ['sh', '-c', 'tr a-z A-Z; echo done >&2; exit 5'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const output = demux(docker, stream);
    stream.end('shout this\n');
    assert.deepEqual(await output, { stdout: 'SHOUT THIS\n', stderr: 'done\n' });
    const inspected = await exec.inspect();
    assert.equal(inspected.Running, false);
    assert.equal(inspected.ExitCode, 5);

    const plain = await container.exec({ Cmd: ['sh', '-c', 'echo $((6*7))'], AttachStdout: true, AttachStderr: true });
    assert.deepEqual(await demux(docker, await plain.start({})), { stdout: '42\n', stderr: '' });
  });

  test('wait reports the exit code', async () => {
    const container = await start(['sh', '-c', 'sleep 0.3; exit 7']);
    assert.equal((await container.wait()).StatusCode, 7);
    const inspected = await container.inspect();
    assert.equal(inspected.State.Status, 'exited');
    assert.equal(inspected.State.ExitCode, 7);
  });

  test('top lists the container processes', async () => {
    const container = await start(['sleep', '300']);
    const top = await container.top();
    assert.ok(top.Titles.includes('PID'));
    const command = top.Titles.includes('CMD') ? top.Titles.indexOf('CMD') : top.Titles.length - 1;
    assert.ok(top.Processes.some((process: string[]) => process[command]!.includes('sleep 300')), JSON.stringify(top));
  });

  test('kill, stop, restart, pause, unpause, rename and remove', async () => {
    const container = await start(['sleep', '300']);
    await container.pause();
    assert.equal((await container.inspect()).State.Status, 'paused');
    await container.unpause();
    const firstPid = (await container.inspect()).State.Pid;
    assert.equal((await container.inspect()).State.Status, 'running');
    await container.restart({ t: 1 });
    const restarted = await container.inspect();
    assert.equal(restarted.State.Status, 'running');
    assert.notEqual(restarted.State.Pid, firstPid);
    await container.stop({ t: 1 });
    assert.equal((await container.inspect()).State.Status, 'exited');
    await container.start();
    await container.kill({ signal: 'SIGKILL' });
    assert.equal((await container.wait()).StatusCode, 137);
    const name = `dockerode-renamed-${process.pid}`;
    await container.rename({ name });
    assert.equal((await docker.getContainer(name).inspect()).Id, container.id);
    await container.start();
    await container.remove({ force: true });
    assert.equal(await statusCodeOf(() => container.inspect()), 404);
  });

  test('listContainers with label and status filters', async () => {
    const marker = `list-${process.pid}-${Date.now()}`;
    const labels = { ...LABELS, 'berth.test.list': marker };
    const running = await start(['sleep', '300'], { Labels: labels });
    const exited = await start(['true'], { Labels: labels });
    await exited.wait();
    const ids = async (options: Docker.ContainerListOptions) => new Set((await docker.listContainers(options)).map((info) => info.Id));
    const label = [`berth.test.list=${marker}`];
    assert.deepEqual(await ids({ all: true, filters: { label } }), new Set([running.id, exited.id]));
    assert.deepEqual(await ids({ filters: { label } }), new Set([running.id]));
    assert.deepEqual(await ids({ all: true, filters: { label, status: ['exited'] } }), new Set([exited.id]));
    assert.deepEqual(await ids({ all: true, filters: JSON.stringify({ label, status: ['running'] }) }), new Set([running.id]));
  });

  test('images: list, inspect, tag, remove', async () => {
    const busybox = await docker.getImage('busybox').inspect();
    assert.ok(busybox.RepoTags.includes('busybox:latest'));
    const listed = await docker.listImages();
    assert.ok(listed.some((image) => image.Id === busybox.Id));
    await docker.getImage('busybox').tag({ repo: TEST_REPOSITORY, tag: 'v1' });
    assert.equal((await docker.getImage(`${TEST_REPOSITORY}:v1`).inspect()).Id, busybox.Id);
    await docker.getImage(`${TEST_REPOSITORY}:v1`).remove();
    assert.equal(await statusCodeOf(() => docker.getImage(`${TEST_REPOSITORY}:v1`).inspect()), 404);
    assert.ok((await docker.getImage(busybox.Id).inspect()).RepoTags.includes('busybox:latest'));
  });

  test('push and pull through a registry, following the progress stream', { skip: hasRegistry ? false : 'needs docker-registry' }, async () => {
    const registry = await TestRegistry.start();
    try {
      const repository = `${registry.host}/dockerode/pushed-${RUN_ID}`;
      const follow = (stream: NodeJS.ReadableStream) =>
        new Promise<Array<Record<string, unknown>>>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null, output: Array<Record<string, unknown>>) => (error ? reject(error) : resolve(output))));
      await docker.getImage('busybox').tag({ repo: repository, tag: 'v1' });
      const pushed = await follow(await docker.getImage(`${repository}:v1`).push({ tag: 'v1', authconfig: { serveraddress: registry.host } }));
      const digest = (pushed.find((line) => line.aux !== undefined)?.aux as { Digest: string }).Digest;
      await docker.getImage(`${repository}:v1`).remove();
      const pulled = await follow(await docker.pull(`${repository}:v1`));
      assert.deepEqual(pulled.at(-1), { status: `Status: Downloaded newer image for ${repository}:v1` });
      assert.ok((await docker.getImage(`${repository}:v1`).inspect()).RepoDigests.includes(`${repository}@${digest}`));
      await docker.getImage(`${repository}:v1`).remove();
      assert.equal(await statusCodeOf(() => docker.pull(`${registry.host}/dockerode/never-pushed:v1`)), 404);
    } finally {
      await registry.stop();
    }
  });

  test('importImage from a tar stream', async () => {
    const archive = new PassThrough();
    archive.end(singleFileTar('hello.txt', 'imported content\n'));
    const progress = await docker.importImage(archive, { repo: TEST_REPOSITORY, tag: 'imported' });
    await collect(progress);
    const image = await docker.getImage(`${TEST_REPOSITORY}:imported`).inspect();
    assert.equal(image.RootFS.Layers?.length, 1);
    await docker.getImage(image.Id).remove();
  });

  test('getEvents streams create, start and die of a container', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], Labels: LABELS });
    await container.start();
    await container.wait();
    const until = Math.floor(Date.now() / 1000) + 1;
    const stream = await docker.getEvents({ since, until, filters: { container: [container.id] } });
    const events = (await collect(stream)).split('\n').filter(Boolean).map((line) => JSON.parse(line) as {
      Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> };
    });
    const actions = events.filter((event) => event.Type === 'container').map((event) => event.Action);
    for (const action of ['create', 'start', 'die']) assert.ok(actions.includes(action), `${action} missing from ${actions.join(',')}`);
    assert.ok(actions.indexOf('create') < actions.indexOf('start') && actions.indexOf('start') < actions.indexOf('die'));
    const die = events.find((event) => event.Action === 'die')!;
    assert.equal(die.Actor.ID, container.id);
    assert.equal(die.Actor.Attributes.exitCode, '0');
  });

  test('getEvents follows live events until the stream is closed', async () => {
    const stream = (await docker.getEvents({ filters: { label: [`${RUN_LABEL}=${RUN_ID}`], event: ['start'] } })) as Readable;
    const started = new Promise<{ id: string }>((resolveStarted, reject) => {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split('\n').find(Boolean);
        if (line && buffered.includes('\n')) resolveStarted(JSON.parse(line) as { id: string });
      });
      stream.on('error', reject);
    });
    const container = await start(['true']);
    const event = await started;
    stream.destroy();
    assert.equal(event.id, container.id);
  });

  test('stats, one shot', async (t) => {
    const container = await start(['sleep', '300']);
    const stats = await unlessUnimplemented(t, 'GET /containers/{id}/stats', () => container.stats({ stream: false }));
    if (!stats) return;
    assert.ok(stats.memory_stats.usage > 0);
    assert.equal(typeof stats.cpu_stats.cpu_usage.total_usage, 'number');
  });

  test('update changes resource limits', async (t) => {
    const container = await start(['sleep', '300']);
    const updated = await unlessUnimplemented(t, 'POST /containers/{id}/update', () => container.update({ CpuShares: 256, Memory: 32 * 1024 * 1024 }));
    if (!updated) return;
    const inspected = await container.inspect();
    assert.equal(inspected.HostConfig.CpuShares, 256);
    assert.equal(inspected.HostConfig.Memory, 32 * 1024 * 1024);
  });

  test('putArchive and getArchive', async (t) => {
    const container = await start(['sleep', '300']);
    const put = await unlessUnimplemented(t, 'PUT /containers/{id}/archive', async () => {
      await container.putArchive(singleFileTar('note.txt', 'copied in\n'), { path: '/tmp' });
      return true;
    });
    if (!put) return;
    const exec = await container.exec({ Cmd: ['cat', '/tmp/note.txt'], AttachStdout: true, AttachStderr: true });
    assert.deepEqual(await demux(docker, await exec.start({})), { stdout: 'copied in\n', stderr: '' });
    const archive = await container.getArchive({ path: '/tmp/note.txt' });
    const listing = spawnSync('tar', ['-xOf', '-', 'note.txt'], { input: await collectBytes(archive) });
    assert.equal(listing.stdout.toString(), 'copied in\n');
  });

  test('changes lists what the container wrote', async (t) => {
    const container = await start(['sh', '-c', 'touch /created-by-test; sleep 300']);
    const exec = await container.exec({ Cmd: ['sh', '-c', 'while [ ! -e /created-by-test ]; do sleep 0.05; done'], AttachStdout: true });
    await collect(await exec.start({}));
    const changes = await unlessUnimplemented(t, 'GET /containers/{id}/changes', () => container.changes());
    if (!changes) return;
    assert.ok(changes.some((change: { Path: string; Kind: number }) => change.Path === '/created-by-test' && change.Kind === 1), JSON.stringify(changes));
  });

  test('df', async (t) => {
    const usage = await unlessUnimplemented(t, 'GET /system/df', () => docker.df());
    if (!usage) return;
    assert.ok(usage.Images.some((image: { RepoTags: string[] | null }) => image.RepoTags?.includes('busybox:latest')));
    assert.equal(typeof usage.LayersSize, 'number');
  });

  test('pruneContainers removes stopped containers that match', async (t) => {
    const marker = `prune-${process.pid}-${Date.now()}`;
    const labels = { ...LABELS, 'berth.test.prune': marker };
    const exited = await start(['true'], { Labels: labels });
    await exited.wait();
    const running = await start(['sleep', '300'], { Labels: labels });
    const pruned = await unlessUnimplemented(t, 'POST /containers/prune', () => docker.pruneContainers({ filters: { label: [`berth.test.prune=${marker}`] } }));
    if (!pruned) return;
    assert.deepEqual(pruned.ContainersDeleted, [exited.id]);
    assert.equal(await statusCodeOf(() => exited.inspect()), 404);
    assert.equal((await running.inspect()).State.Running, true);
  });

  test('pruneImages removes dangling images', async (t) => {
    const importTar = async (name: string) => {
      const archive = new PassThrough();
      archive.end(singleFileTar(name, `${name}\n`));
      await collect(await docker.importImage(archive, { repo: TEST_REPOSITORY, tag: 'to-dangle' }));
      return (await docker.getImage(`${TEST_REPOSITORY}:to-dangle`).inspect()).Id;
    };
    const dangling = await importTar('first.txt');
    assert.notEqual(await importTar('second.txt'), dangling);
    const pruned = await unlessUnimplemented(t, 'POST /images/prune', () => docker.pruneImages({ filters: { dangling: ['true'] } }));
    if (!pruned) return;
    assert.ok((pruned.ImagesDeleted ?? []).some((entry: { Deleted?: string }) => entry.Deleted === dangling), JSON.stringify(pruned));
    assert.equal(await statusCodeOf(() => docker.getImage(dangling).inspect()), 404);
    assert.ok((await docker.getImage('busybox').inspect()).RepoTags.includes('busybox:latest'));
  });
});
