import { RegistryHosts, type RegistryHostsConfig } from './registry-hosts.js';
import { type RegistryCredentials, RegistrySession, TokenCache } from './registry-session.js';
import { RegistryClient } from './registry-client.js';

export interface RegistryAccessConfig extends RegistryHostsConfig {
  /** Layers downloaded at once per pull (daemon.json `max-concurrent-downloads`, Docker's default 3). */
  maxConcurrentDownloads?: number;
  /** Layers uploaded at once per push (daemon.json `max-concurrent-uploads`, Docker's default 5). */
  maxConcurrentUploads?: number;
  /** Failures in a row before a blob download gives up (`max-download-attempts`, Docker's default 5). */
  maxDownloadAttempts?: number;
}

/** The daemon's registry settings and the token cache every pull, push and login shares. */
export class RegistryAccess {
  readonly hosts: RegistryHosts;
  readonly tokens = new TokenCache();
  readonly maxConcurrentDownloads: number;
  readonly maxConcurrentUploads: number;
  readonly maxDownloadAttempts: number;

  constructor(config: RegistryAccessConfig = {}) {
    this.hosts = new RegistryHosts(config);
    this.maxConcurrentDownloads = config.maxConcurrentDownloads ?? 3;
    this.maxConcurrentUploads = config.maxConcurrentUploads ?? 5;
    this.maxDownloadAttempts = config.maxDownloadAttempts ?? 5;
  }

  client(domain: string, credentials: RegistryCredentials | undefined, options: { forPush?: boolean } = {}): RegistryClient {
    return new RegistryClient(new RegistrySession(domain, this.hosts, credentials, this.tokens, options));
  }
}
