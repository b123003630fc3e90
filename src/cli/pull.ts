/**
 * Pulling an image through the daemon (POST /images/create?fromImage=&tag=) with the registry's
 * credentials in X-Registry-Auth, for `pull` and for run/create when the image is missing.
 * Credentials and the progress display are loaded only when a pull happens, so `run` of a present
 * image neither reads the docker config file nor pays for those modules at start.
 */
import type { Writable } from 'node:stream';
import type { CliContext } from './context.js';
import { referenceName, type ImageReference } from '../common/image-reference.js';

/** The `tag` query of POST /images/create: the digest when there is one, else the tag (docker's getAPITagFromNamedRef). */
export function apiTag(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Splits "registry:5000/a/b:tag" or "a@sha256:..." into repository and tag (or digest). */
export function splitReference(ref: string): { repository: string; tag: string | undefined } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: undefined };
}

export interface PullOptions {
  platform?: string | undefined;
  /** Every tag of the repository (pull -a): no `tag` in the query. */
  allTags?: boolean;
}

/** Pulls `ref`, showing the daemon's progress on `out` (nothing with null); throws the stream's error. */
export async function pullImage(ctx: CliContext, ref: ImageReference, options: PullOptions, out: Writable | null): Promise<void> {
  const [{ registryAuthHeader }, { displayJsonMessages }] = await Promise.all([import('./registry-auth.js'), import('./progress.js')]);
  const res = await ctx.client.request('POST', '/images/create', {
    query: { fromImage: referenceName(ref), tag: options.allTags ? undefined : apiTag(ref), platform: options.platform },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ctx.configDirFlag, ref.domain) },
  });
  await displayJsonMessages(res, out);
}
