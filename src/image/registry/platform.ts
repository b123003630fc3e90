import { invalidArgument, notFound } from '../../common/errors.js';
import { hostArchitecture } from '../image-config.js';
import type { Descriptor, Platform } from '../media-types.js';

/** The host's platform, as OCI names it (`linux/amd64`, `linux/arm64/v8`). */
export function hostPlatform(): Platform {
  const architecture = hostArchitecture();
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') return { os: 'linux', architecture, variant: 'v7' };
  return { os: 'linux', architecture };
}

/** Parses `os[/arch[/variant]]` as `--platform` takes it; an empty text means the host's. */
export function parsePlatform(text: string | undefined): Platform {
  if (text === undefined || text.trim() === '') return hostPlatform();
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    throw invalidArgument(`"${text}": unknown operating system or architecture: invalid argument`);
  }
  const [os, architecture = hostPlatform().architecture, variant] = parts as [string, string?, string?];
  const normalized = normalizeArchitecture(architecture, variant);
  return { os, ...normalized };
}

function normalizeArchitecture(architecture: string, variant: string | undefined): { architecture: string; variant?: string } {
  switch (architecture) {
    case 'x86_64':
    case 'x86-64':
      return { architecture: 'amd64' };
    case 'aarch64':
    case 'arm64':
      return { architecture: 'arm64', variant: variant === undefined || variant === '8' ? 'v8' : variant };
    case 'armhf':
      return { architecture: 'arm', variant: 'v7' };
    case 'armel':
      return { architecture: 'arm', variant: 'v6' };
    default:
      return variant === undefined ? { architecture } : { architecture, variant };
  }
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined && part !== '').join('/');
}

/**
 * Chooses the manifest for a platform from an index as containerd's matcher does: os and
 * architecture must match; a wanted variant must match too, except that an entry without a
 * variant is accepted (and ranked below an exact one).
 */
export function selectPlatformManifest(manifests: readonly Descriptor[], wanted: Platform): Descriptor {
  let best: { descriptor: Descriptor; score: number } | undefined;
  for (const descriptor of manifests) {
    const platform = descriptor.platform;
    if (platform === undefined) continue;
    if (platform.os !== wanted.os) continue;
    const candidate = normalizeArchitecture(platform.architecture, platform.variant);
    if (candidate.architecture !== wanted.architecture) continue;
    let score: number;
    if (wanted.variant === undefined || candidate.variant === wanted.variant) score = 2;
    else if (candidate.variant === undefined) score = 1;
    else continue;
    if (best === undefined || score > best.score) best = { descriptor, score };
  }
  if (best === undefined) {
    throw notFound(`no matching manifest for ${formatPlatform(wanted)} in the manifest list entries`);
  }
  return best.descriptor;
}
