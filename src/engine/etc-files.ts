import { readFile, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';

/**
 * The /etc/hostname, /etc/hosts and /etc/resolv.conf that berth bind-mounts into
 * a container, written as docker writes them.
 */
export function hostsFile(hostname: string, extraHosts: string[], hostNetwork: boolean): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const entry of extraHosts) {
    const separator = entry.indexOf(':');
    lines.push(`${entry.slice(separator + 1)}\t${entry.slice(0, separator)}`);
  }
  if (!hostNetwork) lines.push(`127.0.1.1\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

/** The user's resolver settings: docker's --dns, --dns-search and --dns-option. */
export interface DnsSettings {
  servers: string[];
  search: string[];
  options: string[];
}

const NAMESERVER = /^\s*nameserver\s+(\S+)/;
const LOOPBACK_SERVER = /^(127\.|::1$)/;

/** The last `search` (or `domain`) line's domains and the `options` of a resolv.conf, as the resolver reads them. */
function hostResolverSettings(text: string): { search: string[]; options: string[] } {
  let search: string[] = [];
  const options: string[] = [];
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') search = values;
    else if (keyword === 'options') options.push(...values);
  }
  return { search, options };
}

/**
 * resolv.conf for a container, as docker makes it. Without settings of the user's:
 * the host's file, less loopback name servers (they would point at the container's
 * own loopback). With any: a file of name servers, search domains and options,
 * each the user's where given (`.` searching nothing) or else the host's.
 */
export function resolvConf(hostResolv: string, dns: DnsSettings, hostNetwork: boolean): string {
  const overridden = dns.servers.length || dns.search.length || dns.options.length;
  if (!overridden) {
    if (hostNetwork) return hostResolv;
    const lines = hostResolv.split('\n').filter((line) => !LOOPBACK_SERVER.test(NAMESERVER.exec(line)?.[1] ?? ''));
    return `${lines.join('\n').trim()}\n`;
  }
  const host = hostResolverSettings(hostResolv);
  const hostServers = hostResolv.split('\n').flatMap((line) => NAMESERVER.exec(line)?.[1] ?? [])
    .filter((server) => hostNetwork || !LOOPBACK_SERVER.test(server));
  const servers = dns.servers.length ? dns.servers : hostServers;
  const search = dns.search.length ? dns.search : host.search;
  const options = dns.options.length ? dns.options : host.options;
  const lines = servers.map((server) => `nameserver ${server}`);
  if (search.length && search.join(' ').trim() !== '.') lines.push(`search ${search.join(' ')}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export interface EtcPaths {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

export async function writeEtcFiles(
  paths: EtcPaths,
  options: { hostname: string; extraHosts: string[]; dns: DnsSettings; hostNetwork: boolean },
): Promise<void> {
  let hostResolv = '';
  try {
    hostResolv = await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    hostResolv = '';
  }
  const name = options.hostNetwork ? hostHostname() : options.hostname;
  // Rewritten at every start (no fsync needed); written in place so the bind mounts of
  // a running container keep seeing the same files.
  await Promise.all([
    writeFile(paths.hostname, `${name}\n`, { mode: 0o644 }),
    writeFile(paths.hosts, hostsFile(name, options.extraHosts, options.hostNetwork), { mode: 0o644 }),
    writeFile(paths.resolvConf, resolvConf(hostResolv, options.dns, options.hostNetwork), { mode: 0o644 }),
  ]);
}
