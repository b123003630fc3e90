import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ImageService } from '../../src/image/images.js';
import { hostArchitecture } from '../../src/image/image-config.js';

const skip = process.getuid?.() === 0 ? false : 'needs root (unpacking layers makes device nodes and sets ownership)';

/** A tiny root filesystem: static busybox and a few applet links, as a GNU tar file. */
async function busyboxRootfsTar(workDir: string, name: string, extraFile?: string): Promise<string> {
  const tree = join(workDir, `${name}-tree`);
  await mkdir(join(tree, 'bin'), { recursive: true });
  await mkdir(join(tree, 'etc'), { recursive: true });
  await copyFile('/usr/bin/busybox', join(tree, 'bin', 'busybox'));
  for (const applet of ['sh', 'ls', 'echo', 'cat']) await symlink('busybox', join(tree, 'bin', applet));
  await writeFile(join(tree, 'etc', 'hostname'), 'berth-test\n');
  if (extraFile !== undefined) await writeFile(join(tree, extraFile), `${extraFile}\n`);
  const tarPath = join(workDir, `${name}.tar`);
  execFileSync('tar', ['--numeric-owner', '-C', tree, '-cf', tarPath, '.']);
  return tarPath;
}

const sha256File = async (path: string): Promise<string> => `sha256:${createHash('sha256').update(await readFile(path)).digest('hex')}`;

describe('image store with real layers', { skip }, () => {
  let work: string;
  let root: string;
  let service: ImageService;
  let busyboxTar: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-image-it-'));
    root = join(work, 'root');
    service = await ImageService.open(root);
    busyboxTar = await busyboxRootfsTar(work, 'busybox');
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('imports a rootfs tar with changes, and inspects, histories, tags and removes it', async () => {
    const id = await service.import(createReadStream(busyboxTar), {
      repo: 'test/busybox',
      tag: 'v1',
      changes: ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', 'WORKDIR /srv', 'EXPOSE 8080', 'LABEL team=berth'],
    });
    const inspect = await service.inspect('test/busybox:v1');
    assert.equal(inspect.Id, id);
    assert.deepEqual(inspect.RepoTags, ['test/busybox:v1']);
    assert.equal(inspect.Os, 'linux');
    assert.equal(inspect.Architecture, hostArchitecture());
    assert.equal(inspect.Comment, 'Imported from -');
    assert.deepEqual(inspect.RootFS, { Type: 'layers', Layers: [await sha256File(busyboxTar)] });
    assert.deepEqual(inspect.Config.Cmd, ['/bin/sh']);
    assert.deepEqual(inspect.Config.Env, ['A=1', 'B=two words']);
    assert.equal(inspect.Config.WorkingDir, '/srv');
    assert.deepEqual(inspect.Config.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(inspect.Config.Labels, { team: 'berth' });
    const busyboxSize = (await stat('/usr/bin/busybox')).size;
    assert.ok(inspect.Size >= busyboxSize, `size ${inspect.Size} covers busybox (${busyboxSize})`);

    const history = await service.history(id);
    assert.equal(history.length, 1);
    assert.equal(history[0]?.Id, id);
    assert.equal(history[0]?.Comment, 'Imported from -');
    assert.equal(history[0]?.Size, inspect.Size);
    assert.deepEqual(history[0]?.Tags, ['test/busybox:v1']);

    const [layer] = await service.layers.list();
    assert.ok(layer !== undefined);
    const diff = service.layers.diffDir(layer.chainId);
    assert.equal(await readlink(join(diff, 'bin', 'sh')), 'busybox');
    assert.equal(await readFile(join(diff, 'etc', 'hostname'), 'utf8'), 'berth-test\n');
    assert.equal(await readlink(join(root, 'overlay', 'l', layer.short)), `../../layers/${layer.chainId.slice(7)}/diff`);

    await service.tag('test/busybox:v1', 'localhost:5000/mirror', '2');
    // Sorted by the full reference, as Docker does: docker.io/test/... before localhost:5000/...
    assert.deepEqual((await service.inspect(id)).RepoTags, ['test/busybox:v1', 'localhost:5000/mirror:2']);
    await service.untag('localhost:5000/mirror:2');
    assert.deepEqual((await service.inspect(id)).RepoTags, ['test/busybox:v1']);

    assert.deepEqual(await service.remove('test/busybox:v1'), [
      { Untagged: 'test/busybox:v1' },
      { Deleted: id },
      { Deleted: layer.chainId },
    ]);
    assert.deepEqual(await service.layers.list(), []);
    assert.deepEqual(await readdir(join(root, 'overlay', 'l')), []);
    assert.deepEqual(await service.list(), []);
  });

  it('imports a gzip-compressed tar with the diff id of the uncompressed one', async () => {
    execFileSync('gzip', ['-k', '-f', busyboxTar]);
    const id = await service.import(createReadStream(`${busyboxTar}.gz`), { repo: 'gz', message: 'from a gzip' });
    const inspect = await service.inspect('gz');
    assert.equal(inspect.Id, id);
    assert.deepEqual(inspect.RootFS.Layers, [await sha256File(busyboxTar)]);
    assert.equal(inspect.Comment, 'from a gzip');
    await service.remove('gz');
    assert.deepEqual(await service.layers.list(), []);
  });

  it('shares one unpacked base layer between images', async () => {
    const first = await service.import(createReadStream(busyboxTar), { repo: 'share-a', changes: ['CMD ["a"]'] });
    const second = await service.import(createReadStream(busyboxTar), { repo: 'share-b', changes: ['CMD ["b"]'] });
    assert.notEqual(first, second);
    const layers = await service.layers.list();
    assert.equal(layers.length, 1);
    const [firstImage, secondImage] = [await service.resolve(first), await service.resolve(second)];
    assert.deepEqual(firstImage.chainIds, secondImage.chainIds);
    const busybox = await stat(join(service.layers.diffDir(firstImage.chainIds[0]!), 'bin', 'busybox'));
    assert.equal(busybox.nlink, 1, 'the file exists once, not hard-linked into a second copy');

    // Removing one image keeps the layer the other still uses.
    const removed = await service.remove('share-a');
    assert.deepEqual(removed.map((item) => item.Deleted).filter(Boolean), [first]);
    const after = await stat(join(service.layers.diffDir(secondImage.chainIds[0]!), 'bin', 'busybox'));
    assert.equal(after.ino, busybox.ino);
    const last = await service.remove('share-b');
    assert.deepEqual(last.at(-1), { Deleted: firstImage.chainIds[0] });
    assert.deepEqual(await service.layers.list(), []);
  });

  it('unpacks a layer once when two pulls of it race', async () => {
    const diffId = await sha256File(busyboxTar);
    let opened = 0;
    const open = async (): Promise<Readable> => {
      opened += 1;
      return createReadStream(busyboxTar);
    };
    const pin = service.layers.pin();
    try {
      const [a, b] = await Promise.all([service.layers.ensure(diffId, null, open, pin), service.layers.ensure(diffId, null, open, pin)]);
      assert.equal(opened, 1);
      assert.deepEqual(a, b);
      // A pinned layer survives collection; once released, nothing holds it.
      assert.deepEqual(await service.collectLayers([a.chainId]), []);
    } finally {
      pin.release();
    }
    assert.equal((await service.collectLayers([diffId as `sha256:${string}`])).length, 1);
    assert.deepEqual(await service.layers.list(), []);
  });

  it('refuses layer content whose diff id is not the one expected, leaving nothing', async () => {
    const pin = service.layers.pin();
    try {
      await assert.rejects(
        service.layers.ensure(`sha256:${'0'.repeat(64)}`, null, async () => createReadStream(busyboxTar), pin),
        { kind: 'invalid-argument', message: /diff id/ },
      );
    } finally {
      pin.release();
    }
    assert.deepEqual(await service.layers.list(), []);
    assert.deepEqual(await readdir(join(root, 'layers', 'tmp')), []);
  });

  it('leaves no layer, image or temporary behind when an import fails', async () => {
    const valid = await readFile(busyboxTar);
    const corrupt = Buffer.from(valid.subarray(0, 4096));
    corrupt.fill(0x41, 100, 200); // garble the first header's mode, owner and size fields
    const truncated = valid.subarray(0, Math.floor(valid.length / 2));
    for (const [label, content] of [['corrupt header', corrupt], ['truncated', truncated], ['not a tar', Buffer.from('hello, world')]] as const) {
      await assert.rejects(service.import(Readable.from([content]), { repo: 'broken' }), Error, label);
      assert.deepEqual(await service.layers.list(), [], label);
      assert.deepEqual(await readdir(join(root, 'layers', 'tmp')), [], label);
      assert.deepEqual(await service.list(), [], label);
      await assert.rejects(service.resolve('broken'), { kind: 'not-found' });
    }
  });

  it("gives back a layer's exact tar, and says why when it cannot", async () => {
    const id = await service.import(createReadStream(busyboxTar), { repo: 'split' });
    const [chainId] = (await service.resolve(id)).chainIds;
    assert.ok(chainId !== undefined);
    const original = await readFile(busyboxTar);
    const assembled = Buffer.concat(await service.layers.openTar(chainId).toArray());
    assert.ok(assembled.equals(original), 'the reassembled tar is the imported one');
    assert.equal(await service.layers.tarSize(chainId), original.length);
    assert.ok((await readdir(join(root, 'layers', chainId.slice(7)))).includes('tar-split.gz'));

    // A changed file (same size) is caught by the digest check at the end of the stream.
    const hostname = join(service.layers.diffDir(chainId), 'etc', 'hostname');
    const saved = await readFile(hostname);
    await writeFile(hostname, 'berth-TEST\n');
    await assert.rejects(service.layers.openTar(chainId).toArray(), { message: /reassembled into a \d+-byte tar with digest sha256:[0-9a-f]{64}, not its diff id/ });
    await writeFile(hostname, saved);

    // A layer unpacked before tar-splits existed, and so lacking its size too.
    const layerDir = join(root, 'layers', chainId.slice(7));
    await rename(join(layerDir, 'tar-split.gz'), join(work, 'saved-split'));
    await assert.rejects(service.layers.openTar(chainId).toArray(), { kind: 'not-implemented', message: new RegExp(`layer ${chainId} was unpacked by an older berth`) });
    await rename(join(work, 'saved-split'), join(layerDir, 'tar-split.gz'));
    const record = JSON.parse(await readFile(join(layerDir, 'layer.json'), 'utf8')) as { tarSize?: number };
    delete record.tarSize;
    await writeFile(join(layerDir, 'layer.json'), JSON.stringify(record));
    assert.equal(await service.layers.tarSize(chainId), original.length, 'measured by reassembling');
    assert.equal((await service.layers.require(chainId)).tarSize, original.length, 'and recorded');
    await service.remove('split');
  });

  it('rejects bad changes before reading the tar', async () => {
    let read = false;
    const source = new Readable({
      read() {
        read = true;
        this.push(null);
      },
    });
    await assert.rejects(service.import(source, { changes: ['RUN rm -rf /'] }), { message: 'run is not a valid change command' });
    assert.equal(read, false);
  });
});
