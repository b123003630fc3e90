/**
 * Pulling an image through the daemon (POST /images/create?fromImage=) and showing its JSON
 * progress stream as docker does (progress.ts).
 */
import type { Writable } from 'node:stream';
import type { ApiClient } from './client.js';
import { displayJsonMessages } from './progress.js';

/** Splits "registry:5000/a/b:tag" or "a@sha256:..." into repository and tag (or digest). */
export function splitReference(ref: string): { repository: string; tag: string | undefined } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: undefined };
}

/** "busybox" -> "busybox:latest" (what `Unable to find image '...' locally` names). */
export function withDefaultTag(ref: string): string {
  return splitReference(ref).tag === undefined ? `${ref}:latest` : ref;
}

export async function pullImage(client: ApiClient, ref: string, platform: string | undefined, out: Writable): Promise<void> {
  const { repository, tag } = splitReference(ref);
  const res = await client.request('POST', '/images/create', {
    query: { fromImage: repository, tag: tag ?? 'latest', platform },
  });
  await displayJsonMessages(res, out);
}
