import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BERTH_CLI, hasDockerCli, isRoot, TestDaemon } from '../helpers/daemon.js';
import { writeTar } from '../../src/tar/writer.js';

async function tarOf(entries: Parameters<typeof writeTar>[0]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('berth cp and /containers/{id}/archive', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  let work: string;
  /** A host directory a container must never reach, with a file it must never change or read. */
  let canaryDir: string;
  const canaryContent = 'host secret, untouched\n';

  const ok = (args: string[], input?: string | Buffer): string => {
    const result = daemon.berth(args, { input });
    assert.equal(result.status, 0, `berth ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const inContainer = (name: string, script: string): string => ok(['exec', name, 'sh', '-c', script]);
  /** A shell pipeline with `berth` on PATH as this daemon's CLI; stdout as bytes. */
  const shell = (script: string): { status: number; stdout: Buffer; stderr: string } => {
    const run = spawnSync('sh', ['-c', script], {
      env: {
        ...process.env,
        BERTH_HOST: daemon.host,
        DOCKER_HOST: '',
        BERTH: BERTH_CLI.join(' '),
      },
    });
    return { status: run.status ?? 1, stdout: run.stdout, stderr: run.stderr.toString() };
  };
  const assertCanaryUntouched = (): void => {
    assert.deepEqual(readdirSync(canaryDir), ['canary']);
    assert.equal(readFileSync(join(canaryDir, 'canary'), 'utf8'), canaryContent);
  };

  before(async () => {
    daemon = await TestDaemon.start();
    work = mkdtempSync(join(tmpdir(), 'berth-cp-work-'));
    canaryDir = mkdtempSync(join(tmpdir(), 'berth-cp-canary-'));
    writeFileSync(join(canaryDir, 'canary'), canaryContent);
    ok(['run', '-d', '--name', 'cpc', 'busybox', 'sleep', '1000']);
  });
  after(async () => {
    await daemon?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
  });

  test('host to container: a file into a directory, onto a new name, a directory, and its contents', () => {
    writeFileSync(join(work, 'hello.txt'), 'hello\n', { mode: 0o640 });
    ok(['cp', join(work, 'hello.txt'), 'cpc:/tmp/']);
    assert.equal(inContainer('cpc', 'cat /tmp/hello.txt; stat -c %a /tmp/hello.txt'), 'hello\n640\n');
    ok(['cp', join(work, 'hello.txt'), 'cpc:/tmp/renamed.txt']);
    assert.equal(inContainer('cpc', 'cat /tmp/renamed.txt'), 'hello\n');

    mkdirSync(join(work, 'tree/sub'), { recursive: true });
    writeFileSync(join(work, 'tree/a'), 'A');
    writeFileSync(join(work, 'tree/sub/b'), 'B');
    ok(['cp', join(work, 'tree'), 'cpc:/tmp']);
    assert.equal(inContainer('cpc', 'cat /tmp/tree/a /tmp/tree/sub/b'), 'AB');
    ok(['cp', join(work, 'tree'), 'cpc:/tmp/newtree']);
    assert.equal(inContainer('cpc', 'cat /tmp/newtree/a /tmp/newtree/sub/b'), 'AB');
    inContainer('cpc', 'mkdir /tmp/contents');
    ok(['cp', `${join(work, 'tree')}/.`, 'cpc:/tmp/contents']);
    assert.equal(inContainer('cpc', 'ls /tmp/contents'), 'a\nsub\n');

    const fileOverDir = daemon.berth(['cp', join(work, 'tree'), 'cpc:/tmp/hello.txt']);
    assert.equal(fileOverDir.status, 1);
    assert.equal(fileOverDir.stderr, 'cannot copy directory\n');
  });

  test('container to host: a file, onto a new name, a directory, its contents', () => {
    inContainer('cpc', 'mkdir -p /data/x && echo y > /data/x/f && echo top > /data/t && ln -s x/f /data/l');
    const out = join(work, 'out');
    mkdirSync(out);
    ok(['cp', 'cpc:/data/t', `${out}/`]);
    assert.equal(readFileSync(join(out, 't'), 'utf8'), 'top\n');
    ok(['cp', 'cpc:/data/t', join(out, 'renamed')]);
    assert.equal(readFileSync(join(out, 'renamed'), 'utf8'), 'top\n');
    ok(['cp', 'cpc:/data', join(out, 'copy')]);
    assert.equal(readFileSync(join(out, 'copy/x/f'), 'utf8'), 'y\n');
    assert.equal(readlinkSync(join(out, 'copy/l')), 'x/f');
    ok(['cp', 'cpc:/data', out]);
    assert.equal(readFileSync(join(out, 'data/t'), 'utf8'), 'top\n');
    mkdirSync(join(out, 'contents'));
    ok(['cp', 'cpc:/data/.', join(out, 'contents')]);
    assert.deepEqual(readdirSync(join(out, 'contents')).sort(), ['l', 't', 'x']);
    // -L copies what a symlink points to, under the link's name.
    ok(['cp', '-L', 'cpc:/data/l', join(out, 'followed')]);
    assert.equal(readFileSync(join(out, 'followed'), 'utf8'), 'y\n');
  });

  test('tar streams on stdout and stdin', () => {
    const listed = shell('$BERTH cp cpc:/data - | tar tf - | sort');
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stdout.toString(), 'data/\ndata/l\ndata/t\ndata/x/\ndata/x/f\n');
    const single = shell('$BERTH cp cpc:/data/t - | tar xOf -');
    assert.equal(single.stdout.toString(), 'top\n');

    inContainer('cpc', 'mkdir /tmp/fromstdin');
    const upload = shell(`tar cf - -C ${work} tree | $BERTH cp - cpc:/tmp/fromstdin`);
    assert.equal(upload.status, 0, upload.stderr);
    assert.equal(inContainer('cpc', 'cat /tmp/fromstdin/tree/sub/b'), 'B');
    const notDir = daemon.berth(['cp', '-', 'cpc:/tmp/hello.txt'], { input: '' });
    assert.equal(notDir.status, 1);
    assert.equal(notDir.stderr, 'destination "cpc:/tmp/hello.txt" must be a directory\n');
  });

  test('a missing path gives docker\'s message and exit status 1', () => {
    const missing = daemon.berth(['cp', 'cpc:/no/such/file', join(work, 'x')]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'Error response from daemon: Could not find the file /no/such/file in container cpc\n');
    const missingDir = daemon.berth(['cp', join(work, 'hello.txt'), 'cpc:/no/such/dir/']);
    assert.equal(missingDir.status, 1);
    assert.equal(missingDir.stderr, 'no such directory\n');
    const missingParent = daemon.berth(['cp', join(work, 'hello.txt'), 'cpc:/no/such/file']);
    assert.equal(missingParent.status, 1);
    assert.equal(missingParent.stderr, 'Error response from daemon: Could not find the file /no/such in container cpc\n');
    const missingLocal = daemon.berth(['cp', join(work, 'absent'), 'cpc:/tmp']);
    assert.equal(missingLocal.status, 1);
    assert.equal(missingLocal.stderr, `lstat ${join(work, 'absent')}: no such file or directory\n`);
  });

  test('a stopped container: copy in, copy out, and its rootfs is unmounted after', () => {
    const id = ok(['create', '--name', 'cps', 'busybox', 'cat', '/in.txt']).trim();
    const merged = join(daemon.dataRoot, 'containers', id, 'rootfs/merged');
    const mounted = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${merged} `);
    assert.equal(mounted(), false);
    writeFileSync(join(work, 'in.txt'), 'into a stopped container\n');
    ok(['cp', join(work, 'in.txt'), 'cps:/']);
    assert.equal(mounted(), false);
    ok(['cp', 'cps:/in.txt', join(work, 'back.txt')]);
    assert.equal(readFileSync(join(work, 'back.txt'), 'utf8'), 'into a stopped container\n');
    assert.equal(mounted(), false);
    assert.equal(ok(['start', '-a', 'cps']), 'into a stopped container\n');
  });

  test('binds and volumes: cp goes through them as the container sees them, and a read-only one is refused', () => {
    const bindSource = join(work, 'bind-source');
    mkdirSync(bindSource);
    writeFileSync(join(bindSource, 'on-host.txt'), 'from the host\n');
    ok(['run', '-d', '--name', 'cpm', '-v', `${bindSource}:/site`, '-v', 'cpvol:/var/lib/db', '-v', `${work}:/ro:ro`, 'busybox', 'sleep', '1000']);
    try {
      writeFileSync(join(work, 'page.html'), '<p>in</p>\n');
      ok(['cp', join(work, 'page.html'), 'cpm:/site/']);
      assert.equal(readFileSync(join(bindSource, 'page.html'), 'utf8'), '<p>in</p>\n');
      assert.equal(inContainer('cpm', 'cat /site/page.html'), '<p>in</p>\n');

      inContainer('cpm', 'mkdir -p /var/lib/db/base && echo row > /var/lib/db/base/1');
      ok(['cp', 'cpm:/var/lib/db', join(work, 'db-copy')]);
      assert.equal(readFileSync(join(work, 'db-copy', 'base', '1'), 'utf8'), 'row\n');
      ok(['cp', 'cpm:/site/.', join(work, 'site-contents')]);
      assert.deepEqual(readdirSync(join(work, 'site-contents')).sort(), ['on-host.txt', 'page.html']);
      // The mount point itself, by its own name: a tar whose top entry is 'db'.
      const tar = shell('$BERTH cp cpm:/var/lib/db - | tar -tf -');
      assert.equal(tar.status, 0, tar.stderr);
      assert.ok(tar.stdout.toString().split('\n').includes('db/base/1'), tar.stdout.toString());

      const readOnly = daemon.berth(['cp', join(work, 'page.html'), 'cpm:/ro/']);
      assert.equal(readOnly.status, 1);
      assert.match(readOnly.stderr, /mounted volume is marked read-only/);
    } finally {
      daemon.berth(['rm', '-f', '-v', 'cpm']);
      daemon.berth(['volume', 'rm', 'cpvol']);
    }
  });

  test('-a gives copied files the container user\'s uid and gid; without it they keep the archive\'s', () => {
    ok(['create', '--name', 'cpu', '--user', 'nobody', 'busybox', 'true']);
    writeFileSync(join(work, 'owned.txt'), 'owned\n');
    ok(['cp', '-a', join(work, 'owned.txt'), 'cpu:/tmp/owned.txt']);
    ok(['cp', join(work, 'owned.txt'), 'cpu:/tmp/plain.txt']);
    const listing = shell('$BERTH cp cpu:/tmp - | tar tvnf - | grep -E "owned|plain" | sort -k6');
    assert.match(listing.stdout.toString(), /65534\/65534 .* tmp\/owned\.txt\n.* 0\/0 .* tmp\/plain\.txt\n$/);
  });

  test('symlinks in the container never lead a read outside its rootfs', () => {
    inContainer('cpc', `ln -s / /tmp/link && ln -s ${canaryDir} /tmp/direct && ln -s ${canaryDir}/canary /tmp/file-link`);
    for (const path of [`/tmp/link${canaryDir}/canary`, '/tmp/direct/canary', '/tmp/file-link/']) {
      const read = daemon.berth(['cp', `cpc:${path}`, '-']);
      assert.equal(read.status, 1, path);
      assert.equal(read.stderr, `Error response from daemon: Could not find the file ${path} in container cpc\n`);
    }
    const followed = daemon.berth(['cp', '-L', 'cpc:/tmp/file-link', join(work, 'leak')]);
    assert.equal(followed.status, 1);
    assert.equal(existsSync(join(work, 'leak')), false);
    // The link itself is copied as a link, never as the host file it names outside the container.
    const link = shell('$BERTH cp cpc:/tmp/file-link - | tar tvf -');
    assert.match(link.stdout.toString(), /file-link -> .*canary/);
    assert.doesNotMatch(link.stdout.toString(), /host secret/);
  });

  test('symlinks in the container and hostile archives never lead a write outside its rootfs', async () => {
    inContainer('cpc', `mkdir -p ${canaryDir} && ln -sfn ${canaryDir} /evil && ln -sfn /etc /tmp/etc-link`);
    writeFileSync(join(work, 'canary'), 'pwned\n');
    ok(['cp', join(work, 'canary'), 'cpc:/evil/']);
    ok(['cp', join(work, 'canary'), `cpc:/tmp/link${canaryDir}/`]);
    assertCanaryUntouched();
    // The writes landed inside the container, where the links really point.
    assert.equal(inContainer('cpc', `cat ${canaryDir}/canary`), 'pwned\n');

    const hostile = await tarOf([
      { header: { path: `../../../../../..${canaryDir}/canary`, type: 'file', size: 6 }, body: Buffer.from('pwned\n') },
    ]);
    inContainer('cpc', 'mkdir /tmp/climb');
    const climbing = daemon.berth(['cp', '-', 'cpc:/tmp/climb'], { input: hostile });
    assert.equal(climbing.status, 1);
    assert.match(climbing.stderr, /outside of/);
    const throughLink = await tarOf([
      { header: { path: 'hop', type: 'symlink', linkpath: canaryDir } },
      { header: { path: 'hop/canary', type: 'file', size: 6 }, body: Buffer.from('pwned\n') },
      { header: { path: 'up', type: 'symlink', linkpath: '/' } },
      { header: { path: `up${canaryDir}/new`, type: 'file', size: 6 }, body: Buffer.from('pwned\n') },
    ]);
    inContainer('cpc', 'mkdir /tmp/hostile');
    ok(['cp', '-', 'cpc:/tmp/hostile'], throughLink);
    assertCanaryUntouched();
    assert.equal(inContainer('cpc', `ls ${canaryDir}`), 'canary\nnew\n');
  });

  test('the API: HEAD gives the path stat header, bad parameters give 400', () => {
    const curl = (args: string[]): string =>
      spawnSync('curl', ['-s', '--unix-socket', daemon.socket, ...args], { encoding: 'utf8' }).stdout;
    const head = curl(['-I', 'http://localhost/v1.44/containers/cpc/archive?path=/tmp/link']);
    const encoded = /x-docker-container-path-stat: (\S+)/i.exec(head)?.[1];
    assert.ok(encoded, head);
    const stat = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Record<string, unknown>;
    assert.equal(stat.name, 'link');
    assert.equal(stat.linkTarget, '/');
    assert.equal(stat.mode, 2 ** 27 + 0o777);
    assert.match(String(stat.mtime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const noPath = curl(['-w', ' %{http_code}', 'http://localhost/v1.44/containers/cpc/archive']);
    assert.equal(noPath, '{"message":"Path cannot be empty"}\n 400');
    const putFile = curl(['-w', ' %{http_code}', '-X', 'PUT', '--data-binary', '', 'http://localhost/v1.44/containers/cpc/archive?path=/tmp/hello.txt']);
    assert.equal(putFile, '{"message":"extraction point is not a directory"}\n 400');
  });

  test('the real docker CLI copies both ways', { skip: !hasDockerCli && 'docker CLI not installed' }, () => {
    const docker = (args: string[]): string => {
      const result = daemon.docker(args);
      assert.equal(result.status, 0, `docker ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    docker(['cp', join(work, 'hello.txt'), 'cpc:/tmp/docker-hello.txt']);
    assert.equal(inContainer('cpc', 'cat /tmp/docker-hello.txt'), 'hello\n');
    docker(['cp', join(work, 'tree'), 'cpc:/tmp/docker-tree']);
    assert.equal(inContainer('cpc', 'cat /tmp/docker-tree/sub/b'), 'B');
    docker(['cp', 'cpc:/data', join(work, 'docker-data')]);
    assert.equal(readFileSync(join(work, 'docker-data/x/f'), 'utf8'), 'y\n');
    docker(['cp', 'cpc:/tmp/docker-hello.txt', join(work, 'docker-back.txt')]);
    assert.equal(readFileSync(join(work, 'docker-back.txt'), 'utf8'), 'hello\n');
    const missing = daemon.docker(['cp', 'cpc:/nope', join(work, 'nope')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /Could not find the file \/nope in container cpc/);
    assertCanaryUntouched();
  });
});
