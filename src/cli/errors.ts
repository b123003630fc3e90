/**
 * Errors the CLI reports and the exit status each one ends the process with.
 * main.ts prints them; commands only throw.
 */

/** An error already worded for the user: printed as is to stderr, then exit with `status`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad flag value or usage: docker prints the message, then "See 'docker CMD --help'." and exits 125. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** The daemon answered with an error status; `message` is its {"message": ...}. */
export class DaemonError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
  }

  /** How docker words it on stderr. */
  get display(): string {
    return `Error response from daemon: ${this.message}`;
  }
}

/** The process should end with this status without printing anything more (e.g. a container's exit code). */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit status ${status}`);
    this.name = 'ExitStatus';
  }
}

/** docker's wording for a value a flag cannot take. */
export function invalidFlagValue(value: string, flag: string, reason: string): FlagError {
  return new FlagError(`invalid argument "${value}" for "${flag}" flag: ${reason}`);
}

/** A response the daemon cut short (Node's "aborted") reads as docker reports it: Go's io.ErrUnexpectedEOF. */
export function unexpectedEof(error: unknown): unknown {
  return (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? new CliError('unexpected EOF') : error;
}
