import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { writeTar, type TarEntryInput } from '../../src/tar/writer.js';
import type { TestRegistry } from './registry.js';

export const mediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** Files of a layer: path → content; `busybox: true` adds /bin/busybox and /bin/sh so containers run. */
export interface LayerSpec {
  files?: Record<string, string | Buffer>;
  busybox?: boolean;
  compression?: 'gzip' | 'zstd';
}

export interface BuiltLayer {
  tar: Buffer;
  blob: Buffer;
  mediaType: string;
  diffId: string;
  digest: string;
}

export interface BuiltImage {
  config: Buffer;
  /** The image id berth and docker give it: the config's digest. */
  id: string;
  layers: BuiltLayer[];
  manifest: Buffer;
  manifestMediaType: string;
  digest: string;
}

async function tarOf(entries: TarEntryInput[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeTar(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function buildLayer(spec: LayerSpec, oci: boolean): Promise<BuiltLayer> {
  const entries: TarEntryInput[] = [];
  const mtime = 1_700_000_000;
  if (spec.busybox === true) {
    const busybox = readFileSync('/bin/busybox');
    entries.push({ header: { path: 'bin/', type: 'directory', mode: 0o755, mtime } });
    entries.push({ header: { path: 'bin/busybox', type: 'file', mode: 0o755, size: busybox.length, mtime }, body: busybox });
    for (const applet of ['sh', 'cat', 'echo', 'ls']) entries.push({ header: { path: `bin/${applet}`, type: 'symlink', linkpath: 'busybox', mtime } });
  }
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    const body = Buffer.from(content);
    entries.push({ header: { path, type: 'file', mode: 0o644, size: body.length, mtime }, body });
  }
  const tar = await tarOf(entries);
  const zstd = spec.compression === 'zstd';
  const blob = zstd ? zstdCompressSync(tar) : gzipSync(tar);
  const mediaType = zstd ? mediaTypes.ociLayerZstd : oci ? mediaTypes.ociLayerGzip : mediaTypes.dockerLayer;
  return { tar, blob, mediaType, diffId: sha256(tar), digest: sha256(blob) };
}

/** An image made of these layers, as a schema2 manifest (or OCI when asked or when a layer is zstd). */
export async function buildImage(layers: LayerSpec[], options: { architecture?: string; variant?: string; oci?: boolean; label?: string } = {}): Promise<BuiltImage> {
  const oci = options.oci === true || layers.some((layer) => layer.compression === 'zstd');
  const built = await Promise.all(layers.map((layer) => buildLayer(layer, oci)));
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      ...(options.variant ? { variant: options.variant } : {}),
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { made: options.label ?? 'berth-test' } },
      rootfs: { type: 'layers', diff_ids: built.map((layer) => layer.diffId) },
      history: built.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'registry-images.ts' })),
    }),
  );
  const manifestMediaType = oci ? mediaTypes.ociManifest : mediaTypes.dockerManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: { mediaType: oci ? mediaTypes.ociConfig : mediaTypes.dockerConfig, size: config.length, digest: sha256(config) },
      layers: built.map((layer) => ({ mediaType: layer.mediaType, size: layer.blob.length, digest: layer.digest })),
    }),
  );
  return { config, id: sha256(config), layers: built, manifest, manifestMediaType, digest: sha256(manifest) };
}

/** Stores the image's blobs and manifest in the registry under `repo:tag`; returns the manifest digest. */
export async function putImage(registry: TestRegistry, repo: string, tag: string, image: BuiltImage): Promise<string> {
  await registry.putBlob(repo, image.config);
  for (const layer of image.layers) await registry.putBlob(repo, layer.blob);
  return registry.putManifest(repo, tag, image.manifestMediaType, image.manifest);
}

/** Stores several images and an OCI index over them, tagged `tag`; returns the index digest. */
export async function putIndex(registry: TestRegistry, repo: string, tag: string, images: Array<{ image: BuiltImage; architecture: string; variant?: string }>): Promise<string> {
  for (const { image } of images) {
    await registry.putBlob(repo, image.config);
    for (const layer of image.layers) await registry.putBlob(repo, layer.blob);
    await registry.putManifest(repo, image.digest, image.manifestMediaType, image.manifest);
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: images.map(({ image, architecture, variant }) => ({
        mediaType: image.manifestMediaType,
        size: image.manifest.length,
        digest: image.digest,
        platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
      })),
    }),
  );
  return registry.putManifest(repo, tag, mediaTypes.ociIndex, index);
}

/** The JSON messages of a progress stream answer. */
export function progressLines(body: Buffer): Array<Record<string, unknown>> {
  return body
    .toString('utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** X-Registry-Auth for a user, as clients send it. */
export function registryAuth(username: string, password: string, serveraddress: string): string {
  return Buffer.from(JSON.stringify({ username, password, serveraddress })).toString('base64url');
}
