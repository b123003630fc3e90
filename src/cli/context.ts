/**
 * What a command needs from the process around it: the daemon client (made on first use, from
 * -H/--host or the environment), the words that invoked it, for docker-style hints, and where the
 * docker config file (registry credentials) lives.
 */
import type { Command } from 'commander';
import { ApiClient, resolveHost } from './client.js';

export class CliContext {
  private apiClient: ApiClient | undefined;

  constructor(
    private readonly hostFlag: () => string | undefined,
    /** "berth run", "berth container ls": how error hints name the command. */
    readonly commandPath: string,
    private readonly configFlag: () => string | undefined,
  ) {}

  /** The global --config: the directory of the docker config file, when given (see docker-config.ts). */
  get configDirFlag(): string | undefined {
    return this.configFlag();
  }

  get host(): string {
    return resolveHost(this.hostFlag());
  }

  get client(): ApiClient {
    this.apiClient ??= new ApiClient(this.host);
    return this.apiClient;
  }

  close(): void {
    this.apiClient?.close();
  }
}

/** Each module in ./commands/ exports this: it adds its arguments, options and action to `cmd`. */
export type DefineCommand = (cmd: Command, ctx: CliContext, preset: Record<string, string>) => void;
