/**
 * Asking the user on a terminal, as docker's login does: one line at a time from stdin (trimmed),
 * and for a password with echo turned off, always turned back on, Ctrl-C included.
 */
import { createInterface, type Interface } from 'node:readline';
import { childProcess } from './node-builtins.js';

function setEcho(on: boolean): void {
  childProcess().spawnSync('stty', [on ? 'echo' : '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
}

export class Prompter {
  private readonly reader: Interface;
  private readonly lines: AsyncIterator<string>;

  constructor() {
    this.reader = createInterface({ input: process.stdin, terminal: false });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  /** Writes `question` to stdout and reads the answer; the end of input answers "". */
  async ask(question: string): Promise<string> {
    process.stdout.write(question);
    const next = await this.lines.next();
    return next.done ? '' : next.value.trim();
  }

  /** Like ask, without echoing what is typed; the newline the user typed is printed after. */
  async askSecret(question: string): Promise<string> {
    const interrupted = () => {
      setEcho(true);
      process.stdout.write('\n');
      process.exit(130);
    };
    setEcho(false);
    process.once('SIGINT', interrupted);
    try {
      return await this.ask(question);
    } finally {
      process.removeListener('SIGINT', interrupted);
      setEcho(true);
      process.stdout.write('\n');
    }
  }

  close(): void {
    this.reader.close();
    process.stdin.pause();
  }
}
