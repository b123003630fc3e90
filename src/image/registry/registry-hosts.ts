import { isIP } from 'node:net';
import { invalidArgument } from '../../common/errors.js';
import { defaultDomain } from '../reference.js';

/** Where berth reaches a registry: base URL and whether its certificate is checked. */
export interface RegistryEndpoint {
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000` */
  url: string;
  /** TLS without certificate checks (an insecure registry over https). */
  skipVerify: boolean;
  /** A mirror of Docker Hub: failing over to the next endpoint is expected. */
  mirror: boolean;
}

export interface RegistryHostsConfig {
  /** daemon.json `insecure-registries`: host[:port] names and CIDRs. */
  insecureRegistries?: readonly string[];
  /** daemon.json `registry-mirrors`: URLs of Docker Hub mirrors. */
  registryMirrors?: readonly string[];
}

const dockerHubApi = 'https://registry-1.docker.io';

interface Cidr {
  bytes: Buffer;
  prefix: number;
}

function addressBytes(address: string): Buffer | undefined {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) return undefined;
  const [head = '', tail = ''] = address.split('::') as [string, string?];
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = address.includes('::') ? groups(tail) : [];
  const middle = new Array<string>(8 - left.length - right.length).fill('0');
  const all = address.includes('::') ? [...left, ...middle, ...right] : left;
  const bytes = Buffer.alloc(16);
  all.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}

function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const bytes = addressBytes(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (bytes === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) {
    throw invalidArgument(`invalid CIDR in insecure-registries: ${text}`);
  }
  return { bytes, prefix };
}

function inCidr(address: Buffer, cidr: Cidr): boolean {
  if (address.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit += 1) {
    const mask = 0x80 >> (bit % 8);
    if ((address[bit >> 3]! & mask) !== (cidr.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** `host[:port]` → host without port or IPv6 brackets. */
function hostName(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const colon = domain.lastIndexOf(':');
  return colon === -1 ? domain : domain.slice(0, colon);
}

/**
 * Decides, as Docker does, which URLs serve a registry domain: Docker Hub through its
 * mirrors first; registries marked insecure (by name or CIDR, and always localhost and
 * 127.0.0.0/8 and ::1) over https without certificate checks, then plain http.
 */
export class RegistryHosts {
  private readonly insecureNames = new Set<string>();
  private readonly insecureCidrs: Cidr[] = [parseCidr('127.0.0.0/8')!, parseCidr('::1/128')!];
  private readonly mirrors: string[];

  constructor(config: RegistryHostsConfig = {}) {
    for (const entry of config.insecureRegistries ?? []) {
      const trimmed = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      const cidr = parseCidr(trimmed);
      if (cidr === undefined) this.insecureNames.add(trimmed);
      else this.insecureCidrs.push(cidr);
    }
    this.mirrors = (config.registryMirrors ?? []).map((mirror) => {
      let url: URL;
      try {
        url = new URL(mirror);
      } catch {
        throw invalidArgument(`invalid mirror: "${mirror}" is not a valid URI`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidArgument(`invalid mirror: unsupported scheme "${url.protocol}" in "${mirror}"`);
      return url.origin;
    });
  }

  isInsecure(domain: string): boolean {
    if (this.insecureNames.has(domain)) return true;
    const host = hostName(domain);
    if (host === 'localhost' || this.insecureNames.has(host)) return true;
    const bytes = addressBytes(host);
    return bytes !== undefined && this.insecureCidrs.some((cidr) => inCidr(bytes, cidr));
  }

  endpoints(domain: string): RegistryEndpoint[] {
    if (domain === defaultDomain) {
      return [
        ...this.mirrors.map((url) => ({ url, skipVerify: false, mirror: true })),
        { url: dockerHubApi, skipVerify: false, mirror: false },
      ];
    }
    if (this.isInsecure(domain)) {
      return [
        { url: `https://${domain}`, skipVerify: true, mirror: false },
        { url: `http://${domain}`, skipVerify: false, mirror: false },
      ];
    }
    return [{ url: `https://${domain}`, skipVerify: false, mirror: false }];
  }
}
