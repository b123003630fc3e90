import type { Readable } from 'node:stream';
import { invalidArgument } from '../../common/errors.js';
import { type Digest, sha256Digest } from '../../store/digest.js';
import type { Descriptor } from '../media-types.js';
import { manifestAcceptTypes } from './manifest.js';
import type { HttpAnswer } from './registry-http.js';
import { discardBody, readBody } from './registry-http.js';
import type { RegistrySession } from './registry-session.js';

/** Manifests are small; anything bigger is not one. */
const MANIFEST_LIMIT = 4 * 1024 * 1024;
/** Image configs can be large (long histories) but are read whole. */
const CONFIG_LIMIT = 64 * 1024 * 1024;

export interface FetchedManifest {
  bytes: Buffer;
  digest: Digest;
  contentType: string | undefined;
}

const pullScope = (path: string) => `repository:${path}:pull`;
const pushScope = (path: string) => `repository:${path}:pull,push`;

/**
 * The distribution API (OCI distribution spec / Docker Registry HTTP API v2) for the
 * repositories of one registry session. Every byte read is checked against its digest.
 */
export class RegistryClient {
  constructor(readonly session: RegistrySession) {}

  /** GET a manifest by tag or digest; by digest, the content must hash to it. */
  async getManifest(path: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const answer = await this.session.send({
      method: 'GET',
      path: `/v2/${path}/manifests/${reference}`,
      scopes: [pullScope(path)],
      headers: { Accept: manifestAcceptTypes.join(', ') },
      ...(signal ? { signal } : {}),
    });
    const bytes = await readBody(answer, MANIFEST_LIMIT);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw invalidArgument(`manifest verification failed for digest ${reference}`);
    }
    return { bytes, digest, contentType: answer.headers['content-type'] };
  }

  /** A small blob (an image config) read whole and verified. */
  async getBlob(path: string, descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    const answer = await this.session.send({ method: 'GET', path: `/v2/${path}/blobs/${descriptor.digest}`, scopes: [pullScope(path)], ...(signal ? { signal } : {}) });
    const bytes = await readBody(answer, CONFIG_LIMIT);
    if (bytes.length !== descriptor.size || sha256Digest(bytes) !== descriptor.digest) {
      throw invalidArgument(`blob verification failed for digest ${descriptor.digest}`);
    }
    return bytes;
  }

  /**
   * Opens a blob for reading from `offset` on; the answer is 206 when the registry honoured
   * the range. Not retried here: the downloader resumes from where a failure left it.
   */
  openBlob(path: string, digest: Digest, offset: number, signal?: AbortSignal): Promise<HttpAnswer> {
    return this.session.send(
      {
        method: 'GET',
        path: `/v2/${path}/blobs/${digest}`,
        scopes: [pullScope(path)],
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
        retry: false,
        ...(signal ? { signal } : {}),
      },
      offset > 0 ? [200, 206] : [200],
    );
  }

  async blobExists(path: string, digest: Digest, signal?: AbortSignal): Promise<boolean> {
    const answer = await this.session.send({ method: 'HEAD', path: `/v2/${path}/blobs/${digest}`, scopes: [pushScope(path)], ...(signal ? { signal } : {}) }, [200, 404]);
    discardBody(answer);
    return answer.status === 200;
  }

  /**
   * Asks the registry to mount a blob from another repository it holds; when it cannot,
   * the answer opens an upload instead, whose URL is returned.
   */
  async mountBlob(path: string, digest: Digest, from: string, signal?: AbortSignal): Promise<{ mounted: true } | { mounted: false; uploadUrl: string }> {
    const query = new URLSearchParams({ mount: digest, from });
    const answer = await this.session.send(
      { method: 'POST', path: `/v2/${path}/blobs/uploads/?${query}`, scopes: [pushScope(path), pullScope(from)], body: Buffer.alloc(0), ...(signal ? { signal } : {}) },
      [201, 202],
    );
    discardBody(answer);
    if (answer.status === 201) return { mounted: true };
    return { mounted: false, uploadUrl: this.location(answer) };
  }

  async startUpload(path: string, signal?: AbortSignal): Promise<string> {
    const answer = await this.session.send(
      { method: 'POST', path: `/v2/${path}/blobs/uploads/`, scopes: [pushScope(path)], body: Buffer.alloc(0), ...(signal ? { signal } : {}) },
      [202],
    );
    discardBody(answer);
    return this.location(answer);
  }

  /** Sends the whole blob with the closing PUT (the spec's monolithic upload). */
  async uploadWhole(path: string, uploadUrl: string, digest: Digest, content: Buffer | Readable, size: number, signal?: AbortSignal): Promise<void> {
    const answer = await this.session.send(
      {
        method: 'PUT',
        path: withQuery(uploadUrl, { digest }),
        scopes: [pushScope(path)],
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body: content,
        ...(signal ? { signal } : {}),
      },
      [201],
    );
    discardBody(answer);
  }

  /** Sends one chunk of a chunked upload; returns the URL for the next request. */
  async uploadChunk(path: string, uploadUrl: string, content: Buffer | Readable, start: number, size: number, signal?: AbortSignal): Promise<string> {
    const answer = await this.session.send(
      {
        method: 'PATCH',
        path: uploadUrl,
        scopes: [pushScope(path)],
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), 'Content-Range': `${start}-${start + size - 1}` },
        body: content,
        ...(signal ? { signal } : {}),
      },
      [202, 204],
    );
    discardBody(answer);
    return this.location(answer);
  }

  /**
   * Sends content of a size and digest not known yet as one PATCH with a chunked body and no
   * Content-Range (the spec's streamed upload, as Docker sends a layer it compresses on the fly);
   * returns the URL to close the upload at. The body cannot be sent twice, so a 401 is not
   * answered here: the caller settles authorization first (startUpload's POST has this scope).
   */
  async uploadStreamed(path: string, uploadUrl: string, content: Readable, signal?: AbortSignal): Promise<string> {
    const answer = await this.session.send(
      { method: 'PATCH', path: uploadUrl, scopes: [pushScope(path)], headers: { 'Content-Type': 'application/octet-stream' }, body: content, ...(signal ? { signal } : {}) },
      [202, 204],
    );
    discardBody(answer);
    return this.location(answer);
  }

  /** Closes a chunked upload, naming the digest of everything sent. */
  async finishUpload(path: string, uploadUrl: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    const answer = await this.session.send(
      { method: 'PUT', path: withQuery(uploadUrl, { digest }), scopes: [pushScope(path)], headers: { 'Content-Length': '0' }, body: Buffer.alloc(0), ...(signal ? { signal } : {}) },
      [201],
    );
    discardBody(answer);
  }

  async putManifest(path: string, reference: string, mediaType: string, bytes: Buffer, signal?: AbortSignal): Promise<Digest> {
    const answer = await this.session.send(
      { method: 'PUT', path: `/v2/${path}/manifests/${reference}`, scopes: [pushScope(path)], headers: { 'Content-Type': mediaType }, body: bytes, ...(signal ? { signal } : {}) },
      [201, 200],
    );
    discardBody(answer);
    return sha256Digest(bytes);
  }

  /** Every tag of a repository, following the `Link` header's pages. */
  async listTags(path: string, signal?: AbortSignal, pageSize?: number): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${path}/tags/list${pageSize === undefined ? '' : `?n=${pageSize}`}`;
    while (next !== undefined) {
      const answer = await this.session.send({ method: 'GET', path: next, scopes: [pullScope(path)], ...(signal ? { signal } : {}) });
      const body = JSON.parse((await readBody(answer, MANIFEST_LIMIT)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      next = nextPage(answer);
    }
    return tags;
  }

  /** The registry's repository list (`/v2/_catalog`), as far as it lets us see it. */
  async catalog(limit: number, signal?: AbortSignal): Promise<string[]> {
    const repositories: string[] = [];
    let next: string | undefined = `/v2/_catalog?n=${Math.max(limit, 100)}`;
    while (next !== undefined && repositories.length < 10_000) {
      const answer = await this.session.send({ method: 'GET', path: next, scopes: ['registry:catalog:*'], ...(signal ? { signal } : {}) });
      const body = JSON.parse((await readBody(answer, MANIFEST_LIMIT)).toString('utf8')) as { repositories?: string[] | null };
      repositories.push(...(body.repositories ?? []));
      next = nextPage(answer);
    }
    return repositories;
  }

  private location(answer: HttpAnswer): string {
    const location = answer.headers.location;
    if (location === undefined) throw invalidArgument(`registry answered ${answer.status} without a Location for the upload`);
    return new URL(location, answer.url).href;
  }
}

function withQuery(url: string, parameters: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [key, value] of Object.entries(parameters)) parsed.searchParams.set(key, value);
  return parsed.href;
}

/** The next page from an RFC 5988 `Link: </v2/...?last=x&n=y>; rel="next"` header. */
function nextPage(answer: HttpAnswer): string | undefined {
  const header = answer.headers.link;
  const link = Array.isArray(header) ? header.join(', ') : header;
  const match = link === undefined ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match === null ? undefined : new URL(match[1]!, answer.url).href;
}
