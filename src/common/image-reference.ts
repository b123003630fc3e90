import { invalidArgument } from './errors.js';

/**
 * Docker image references, parsed and normalized the way distribution/reference
 * does (the grammar and the error messages are Docker's, so users see the same
 * thing from berth as from docker).
 */

export const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
export const defaultTag = 'latest';
const nameTotalLengthMax = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6Address})(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPattern}$`);
const identifierRegexp = /^[a-f0-9]{64}$/;

export interface ImageReference {
  /** Registry host (with port), e.g. `docker.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A bare content digest, what `ParseAnyReference` returns for `sha256:...` or 64 hex digits. */
export interface DigestOnlyReference {
  readonly digest: string;
}

function validateDigest(value: string): string {
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const length = lengths[algorithm];
  if (length === undefined) throw invalidArgument('unsupported digest algorithm');
  if (encoded.length !== length) throw invalidArgument('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalidArgument('invalid checksum digest format');
  return value;
}

/** Parses a reference without normalizing it (distribution's `Parse`). */
export function parseReference(input: string): ImageReference {
  const match = referenceRegexp.exec(input);
  if (match === null) {
    if (input === '') throw invalidArgument('repository name must have at least one component');
    if (referenceRegexp.test(input.toLowerCase())) {
      throw invalidArgument('repository name must be lowercase');
    }
    throw invalidArgument('invalid reference format');
  }
  const [, name = '', tag, digest] = match;
  if (name.length > nameTotalLengthMax) {
    throw invalidArgument(`repository name must not be more than ${nameTotalLengthMax} characters`);
  }
  const nameMatch = anchoredNameRegexp.exec(name);
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch?.[2] ?? name;
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest: validateDigest(digest) }),
  };
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = slash === -1 ? '' : name.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = defaultDomain;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === legacyDefaultDomain) domain = defaultDomain;
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return { domain, remainder };
}

/**
 * Parses what a user typed into a fully qualified reference (`busybox` →
 * `docker.io/library/busybox`); no default tag is added (see withDefaultTag).
 */
export function parseNormalizedNamed(input: string): ImageReference {
  if (identifierRegexp.test(input)) {
    throw invalidArgument(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(input);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator === -1 ? remainder : remainder.slice(0, tagSeparator);
  if (remote.toLowerCase() !== remote) {
    throw invalidArgument(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/** distribution's `ParseAnyReference`: a 64-hex id or `sha256:` digest, else a normalized name. */
export function parseAnyReference(input: string): ImageReference | DigestOnlyReference {
  if (identifierRegexp.test(input)) return { digest: `sha256:${input}` };
  if (input.indexOf(':') > 0) {
    try {
      return { digest: validateDigest(input) };
    } catch {
      // not a digest: a name such as `busybox:1.36`
    }
  }
  return parseNormalizedNamed(input);
}

export function isNamedReference(reference: ImageReference | DigestOnlyReference): reference is ImageReference {
  return 'path' in reference;
}

/** Whether the reference names a repository only, with neither tag nor digest. */
export function isNameOnly(reference: ImageReference): boolean {
  return reference.tag === undefined && reference.digest === undefined;
}

/** Adds `:latest` when the reference has neither tag nor digest (distribution's TagNameOnly). */
export function withDefaultTag(reference: ImageReference): ImageReference {
  return isNameOnly(reference) ? { ...reference, tag: defaultTag } : reference;
}

export function validateTag(tag: string): string {
  if (!anchoredTagRegexp.test(tag)) throw invalidArgument('invalid tag format');
  return tag;
}

/** The repository name, fully qualified: `docker.io/library/busybox`. */
export function referenceName(reference: ImageReference): string {
  return reference.domain === '' ? reference.path : `${reference.domain}/${reference.path}`;
}

function suffix(reference: ImageReference): string {
  return (reference.tag === undefined ? '' : `:${reference.tag}`) + (reference.digest === undefined ? '' : `@${reference.digest}`);
}

/** Fully qualified form: `docker.io/library/busybox:latest`. */
export function referenceString(reference: ImageReference): string {
  return referenceName(reference) + suffix(reference);
}

/** The short name users type: `busybox`, `user/app`, `localhost:5000/x`. */
export function familiarName(reference: ImageReference): string {
  if (reference.domain !== defaultDomain) return referenceName(reference);
  const rest = reference.path;
  if (rest.startsWith(officialRepoPrefix) && !rest.slice(officialRepoPrefix.length).includes('/')) {
    return rest.slice(officialRepoPrefix.length);
  }
  return rest;
}

/** The form docker displays: `busybox:latest`, `localhost:5000/x:1`. */
export function familiarString(reference: ImageReference): string {
  return familiarName(reference) + suffix(reference);
}
