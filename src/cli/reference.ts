/**
 * Image references as the docker CLI reads them before it calls the daemon (distribution's
 * ParseNormalizedNamed): `busybox` is `docker.io/library/busybox`, the registry is what decides
 * which credentials go with a pull or push, and a bad name fails here with docker's message.
 * The CLI only speaks the API, so it has this small parser of its own rather than the engine's.
 */
import { CliError } from './errors.js';

export const DOCKER_HUB_DOMAIN = 'docker.io';

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainAndPort = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const referencePattern = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})(?::(${tag}))?(?:@(${digest}))?$`);
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageRef {
  /** Registry host[:port], e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

/** What the user typed -> a fully qualified reference; throws docker's wording for a bad one. */
export function parseNormalizedNamed(input: string): ImageRef {
  if (/^[a-f0-9]{64}$/.test(input)) throw new CliError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  const slash = input.indexOf('/');
  const first = slash < 0 ? '' : input.slice(0, slash);
  let domain = DOCKER_HUB_DOMAIN;
  let remainder = input;
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)) {
    domain = first;
    remainder = input.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB_DOMAIN;
  if (domain === DOCKER_HUB_DOMAIN && !remainder.includes('/')) remainder = `library/${remainder}`;
  const remote = remainder.split(':')[0]!;
  if (remote.toLowerCase() !== remote) throw new CliError(`invalid reference format: repository name (${remote}) must be lowercase`);

  const match = referencePattern.exec(`${domain}/${remainder}`);
  if (!match) throw new CliError('invalid reference format');
  const [, , path = '', tagPart, digestPart] = match;
  if (domain.length + 1 + path.length > 255) throw new CliError('invalid reference format: repository name must not be more than 255 characters');
  if (digestPart !== undefined) {
    const [algorithm = '', hex = ''] = digestPart.split(':');
    const length = DIGEST_LENGTHS[algorithm];
    if (length === undefined) throw new CliError('unsupported digest algorithm');
    if (hex.length !== length) throw new CliError('invalid checksum digest length');
    if (!/^[a-f0-9]+$/.test(hex)) throw new CliError('invalid checksum digest format');
  }
  return { domain, path, ...(tagPart === undefined ? {} : { tag: tagPart }), ...(digestPart === undefined ? {} : { digest: digestPart }) };
}

export function isNameOnly(ref: ImageRef): boolean {
  return ref.tag === undefined && ref.digest === undefined;
}

/** TagNameOnly: a bare name means `:latest`. */
export function withDefaultTag(ref: ImageRef): ImageRef {
  return isNameOnly(ref) ? { ...ref, tag: 'latest' } : ref;
}

/** `docker.io/library/busybox` */
export function referenceName(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}`;
}

function suffix(ref: ImageRef): string {
  return (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}

/** `docker.io/library/busybox:latest`, what pull prints when it is done. */
export function referenceString(ref: ImageRef): string {
  return referenceName(ref) + suffix(ref);
}

/** `busybox:latest`, `user/app:1`, `localhost:5000/x`: the short form docker shows. */
export function familiarString(ref: ImageRef): string {
  let name = referenceName(ref);
  if (ref.domain === DOCKER_HUB_DOMAIN) {
    const short = ref.path.slice('library/'.length);
    name = ref.path.startsWith('library/') && !short.includes('/') ? short : ref.path;
  }
  return name + suffix(ref);
}

/** The `tag` query of POST /images/create: the digest when there is one, else the tag (docker's getAPITagFromNamedRef). */
export function apiTag(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
