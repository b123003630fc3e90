import { BlockList, isIP } from 'node:net';
import { invalidArgument } from '../../common/errors.js';
import { defaultDomain } from '../../common/image-reference.js';

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

/** Adds `address/prefix` to the list; false when the text is not a CIDR at all (then it is a name). */
function addCidr(list: BlockList, text: string): boolean {
  const slash = text.indexOf('/');
  if (slash === -1) return false;
  const address = text.slice(0, slash);
  const prefix = Number(text.slice(slash + 1));
  const family = isIP(address);
  if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw invalidArgument(`invalid CIDR in insecure-registries: ${text}`);
  }
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
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
  private readonly insecureNetworks = new BlockList();
  private readonly mirrors: string[];

  constructor(config: RegistryHostsConfig = {}) {
    for (const loopback of ['127.0.0.0/8', '::1/128']) addCidr(this.insecureNetworks, loopback);
    for (const entry of config.insecureRegistries ?? []) {
      const trimmed = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      if (!addCidr(this.insecureNetworks, trimmed)) this.insecureNames.add(trimmed);
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
    const family = isIP(host);
    return family !== 0 && this.insecureNetworks.check(host, family === 4 ? 'ipv4' : 'ipv6');
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
