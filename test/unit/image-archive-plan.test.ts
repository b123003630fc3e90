import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseDockerArchiveManifest, statedDigest, archivePath } from '../../src/image/archive/layout.js';
import { type ArchiveContents, planLoad, referenceOf } from '../../src/image/archive/load-plan.js';
import { selectImagesToSave } from '../../src/image/archive/save-selection.js';
import { parseReference, referenceString } from '../../src/common/image-reference.js';
import type { Digest } from '../../src/store/digest.js';

const sha256 = (data: Buffer | string): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const amd64 = { os: 'linux', architecture: 'amd64' };
const hex = (digit: string): string => digit.repeat(64);

/** An archive's small files, as the planner sees them. */
function contents(files: Record<string, Buffer | string>): ArchiveContents {
  return { read: async (path) => (files[path] === undefined ? undefined : Buffer.from(files[path]!)) };
}

const config = (diffIds: string[], os = 'linux'): Buffer =>
  Buffer.from(JSON.stringify({ architecture: 'amd64', os, rootfs: { type: 'layers', diff_ids: diffIds } }));

/** Files of an OCI layout holding one image; `wrap` puts the manifest in a platform index. */
function ociLayout(options: { annotations?: Record<string, string>; wrap?: boolean } = {}) {
  const diffIds = [sha256('layer one'), sha256('layer two')];
  const configBytes = config(diffIds);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256('gzip one'), size: 8 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffIds[1], size: 9 },
      ],
    }),
  );
  const manifestDescriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length };
  const files: Record<string, Buffer | string> = {
    [`blobs/sha256/${sha256(configBytes).slice(7)}`]: configBytes,
    [`blobs/sha256/${sha256(manifest).slice(7)}`]: manifest,
  };
  let top: object = { ...manifestDescriptor, annotations: options.annotations };
  if (options.wrap === true) {
    const armConfig = config([sha256('arm layer')]);
    const arm = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'x', digest: sha256(armConfig), size: armConfig.length }, layers: [] }));
    const attestation = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256('att'), size: 3, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { os: 'unknown', architecture: 'unknown' } };
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(arm), size: arm.length, platform: { os: 'linux', architecture: 'arm64' } },
          attestation,
          { ...manifestDescriptor, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    files[`blobs/sha256/${sha256(index).slice(7)}`] = index;
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(index), size: index.length, annotations: options.annotations };
  }
  files['index.json'] = JSON.stringify({ schemaVersion: 2, manifests: [top] });
  return { files, configBytes, manifest, diffIds };
}

describe('archive manifest parsing', () => {
  it('reads docker manifest.json items, with null or absent RepoTags', () => {
    const items = parseDockerArchiveManifest(
      Buffer.from(JSON.stringify([{ Config: 'a.json', RepoTags: null, Layers: ['x/layer.tar'] }, { Config: 'b.json', Layers: [], Parent: 'sha256:p' }])),
    );
    assert.deepEqual(items, [
      { Config: 'a.json', RepoTags: null, Layers: ['x/layer.tar'] },
      { Config: 'b.json', RepoTags: null, Layers: [], Parent: 'sha256:p' },
    ]);
  });

  it('refuses malformed manifest.json with the file named', () => {
    assert.throws(() => parseDockerArchiveManifest(Buffer.from('null')), /manifest.json is not a list of images/);
    assert.throws(() => parseDockerArchiveManifest(Buffer.from('[{"Config": 1}]')), /manifest.json item 0 needs a Config path/);
    assert.throws(() => parseDockerArchiveManifest(Buffer.from('{')), /manifest.json is not valid JSON/);
  });

  it('knows which paths state a digest, and normalizes member paths', () => {
    assert.equal(statedDigest(`blobs/sha256/${hex('a')}`), `sha256:${hex('a')}`);
    assert.equal(statedDigest(`${hex('b')}.json`), `sha256:${hex('b')}`);
    assert.equal(statedDigest(`${hex('c')}/layer.tar`), undefined);
    assert.equal(archivePath('./a/./b/../c'), 'a/c');
    assert.equal(archivePath('/abs/path'), 'abs/path');
    assert.equal(archivePath('../escape'), undefined);
    assert.equal(archivePath('./'), undefined);
  });
});

describe('load planning', () => {
  it('plans a classic docker-archive: config by path, layers in order, tags normalized', async () => {
    const diffIds = [sha256('base'), sha256('top')];
    const configBytes = config(diffIds);
    const files = {
      'manifest.json': JSON.stringify([{ Config: `${sha256(configBytes).slice(7)}.json`, RepoTags: ['busybox', 'localhost:5000/x:1'], Layers: ['./aa/layer.tar', 'bb/layer.tar'] }]),
      [`${sha256(configBytes).slice(7)}.json`]: configBytes,
    };
    await assert.rejects(planLoad(contents(files), amd64), /invalid tag "busybox"/);
    files['manifest.json'] = files['manifest.json']!.replace('"busybox"', '"busybox:1.36"');
    const [image] = await planLoad(contents(files), amd64);
    assert.equal(image!.id, sha256(configBytes));
    assert.deepEqual(image!.layers, [
      { path: 'aa/layer.tar', diffId: diffIds[0] },
      { path: 'bb/layer.tar', diffId: diffIds[1] },
    ]);
    assert.deepEqual(image!.references.map(referenceString), ['docker.io/library/busybox:1.36', 'localhost:5000/x:1']);
    assert.equal(image!.manifest, undefined);
  });

  it('checks a docker-archive config against the digest its name states, and layer counts', async () => {
    const configBytes = config([sha256('only')]);
    const misnamed = { 'manifest.json': JSON.stringify([{ Config: `blobs/sha256/${hex('0')}`, RepoTags: [], Layers: ['l'] }]), [`blobs/sha256/${hex('0')}`]: configBytes };
    await assert.rejects(planLoad(contents(misnamed), amd64), /the config blobs\/sha256\/0+ has digest/);
    const counted = { 'manifest.json': JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: [] }]), 'c.json': configBytes };
    await assert.rejects(planLoad(contents(counted), amd64), /layers length mismatch: expected 0, got 1/);
    const windows = { 'manifest.json': JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: ['l'] }]), 'c.json': config([sha256('w')], 'windows') };
    await assert.rejects(planLoad(contents(windows), amd64), /cannot load windows image on linux/);
    await assert.rejects(planLoad(contents({}), amd64), /neither a manifest.json .* nor an index.json/);
  });

  it('keeps the media type and size of Docker 25 LayerSources only when they describe the file', async () => {
    const diffId = sha256('layer');
    const configBytes = config([diffId]);
    const source = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: 5 };
    const files = {
      'manifest.json': JSON.stringify([
        { Config: `blobs/sha256/${sha256(configBytes).slice(7)}`, RepoTags: null, Layers: [`blobs/sha256/${diffId.slice(7)}`], LayerSources: { [diffId]: source } },
      ]),
      [`blobs/sha256/${sha256(configBytes).slice(7)}`]: configBytes,
    };
    const [image] = await planLoad(contents(files), amd64);
    assert.deepEqual(image!.layers, [{ path: `blobs/sha256/${diffId.slice(7)}`, diffId, digest: diffId, size: 5, mediaType: source.mediaType }]);
  });

  it('walks an OCI index: manifest, config and layer descriptors, the manifest kept', async () => {
    const { files, configBytes, manifest, diffIds } = ociLayout({ annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' } });
    const [image] = await planLoad(contents(files), amd64);
    assert.equal(image!.id, sha256(configBytes));
    assert.deepEqual(image!.layers, [
      { path: `blobs/sha256/${sha256('gzip one').slice(7)}`, diffId: diffIds[0], digest: sha256('gzip one'), size: 8, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
      { path: `blobs/sha256/${diffIds[1]!.slice(7)}`, diffId: diffIds[1], digest: diffIds[1], size: 9, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
    ]);
    assert.deepEqual(image!.references.map(referenceString), ['docker.io/library/busybox:latest']);
    assert.deepEqual(image!.manifest, { bytes: manifest, digest: sha256(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  });

  it("follows a nested index to this platform's manifest, past attestations and other platforms", async () => {
    const { files, configBytes } = ociLayout({ wrap: true, annotations: { 'org.opencontainers.image.ref.name': 'localhost:5000/multi:2' } });
    const [image] = await planLoad(contents(files), amd64);
    assert.equal(image!.id, sha256(configBytes));
    assert.deepEqual(image!.references.map(referenceString), ['localhost:5000/multi:2']);
    await assert.rejects(planLoad(contents(files), { os: 'linux', architecture: 's390x' }), /has no image for linux\/s390x/);
  });

  it('refuses a blob whose content does not match its descriptor, or that is missing', async () => {
    const { files, configBytes } = ociLayout();
    const configPath = `blobs/sha256/${sha256(configBytes).slice(7)}`;
    await assert.rejects(planLoad(contents({ ...files, [configPath]: Buffer.from(configBytes.toString().replace('amd64', 'arm64')) }), amd64), /the config blob sha256:[0-9a-f]+ has digest/);
    const withoutConfig = { ...files };
    delete withoutConfig[configPath];
    await assert.rejects(planLoad(contents(withoutConfig), amd64), /the config blob sha256:[0-9a-f]+ is missing/);
  });

  it('names images from annotations: a full name or a whole reference, never a bare tag or a digest', () => {
    assert.equal(referenceString(referenceOf({ 'io.containerd.image.name': 'docker.io/library/busybox:1', 'org.opencontainers.image.ref.name': '1' })!), 'docker.io/library/busybox:1');
    assert.equal(referenceString(referenceOf({ 'org.opencontainers.image.ref.name': 'team/app' })!), 'docker.io/team/app:latest');
    assert.equal(referenceOf({ 'org.opencontainers.image.ref.name': 'latest' }), undefined);
    assert.equal(referenceOf({ 'io.containerd.image.name': `busybox@sha256:${hex('d')}` }), undefined);
    assert.equal(referenceOf(undefined), undefined);
  });
});

describe('save name selection', () => {
  const busybox = `sha256:${hex('b')}` as Digest;
  const alpine = `sha256:${hex('a')}` as Digest;
  const other = `sha256:${'ab'.repeat(32)}` as Digest;
  const catalog = {
    references: [
      { reference: parseReference('docker.io/library/busybox:latest'), id: busybox },
      { reference: parseReference('docker.io/library/busybox:1.36'), id: busybox },
      { reference: parseReference(`docker.io/library/busybox@sha256:${hex('e')}`), id: busybox },
      { reference: parseReference('docker.io/library/alpine:3'), id: alpine },
      { reference: parseReference('localhost:5000/x:1'), id: alpine },
    ],
    ids: [busybox, alpine, other],
  };
  const tags = (names: string[]) => selectImagesToSave(names, catalog).map(({ id, tags: list }) => [id, list.map(referenceString)]);

  it('saves a tag with that tag only, and a repository with all its tags', () => {
    assert.deepEqual(tags(['busybox:1.36']), [[busybox, ['docker.io/library/busybox:1.36']]]);
    assert.deepEqual(tags(['busybox']), [[busybox, ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36']]]);
    assert.deepEqual(tags(['localhost:5000/x:1', 'alpine:3']), [[alpine, ['localhost:5000/x:1', 'docker.io/library/alpine:3']]]);
  });

  it('saves ids, digests and id prefixes untagged; a digest reference adds no tag', () => {
    assert.deepEqual(tags([hex('a')]), [[alpine, []]]);
    assert.deepEqual(tags([other]), [[other, []]]);
    assert.deepEqual(tags(['abab']), [[other, []]]);
    assert.deepEqual(tags(['sha256:abab']), [[other, []]]);
    assert.deepEqual(tags([`busybox@sha256:${hex('e')}`]), [[busybox, []]]);
  });

  it('fails the whole selection on an unknown or ambiguous name', () => {
    assert.throws(() => selectImagesToSave(['busybox', 'nosuch:1'], catalog), { kind: 'not-found', message: 'No such image: nosuch:1' });
    assert.throws(() => selectImagesToSave(['busybox:9'], catalog), { message: 'No such image: busybox:9' });
    assert.throws(() => selectImagesToSave([`sha256:${hex('c')}`], catalog), { kind: 'not-found' });
    assert.throws(() => selectImagesToSave(['a'], catalog), { message: 'No such image: a' }, 'ambiguous id prefix');
  });
});
