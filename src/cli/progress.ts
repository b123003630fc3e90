/**
 * A daemon's JSON message stream (pull, push, load, import) shown the way docker's
 * jsonmessage.DisplayJSONMessagesStream shows it. On a terminal each layer id keeps one line that
 * is redrawn in place (cursor up, clear line, rewrite, cursor down) with a progress bar; anywhere
 * else each status is printed once and progress updates are left out. The first error in the
 * stream ends the display and becomes the command's error.
 */
import type { Writable } from 'node:stream';
import { CliError, unexpectedEof } from './errors.js';
import { type ProgressDetail, progressText } from '../common/json-progress.js';

export { type ProgressDetail, goDuration, progressText } from '../common/json-progress.js';

export interface JsonMessage {
  status?: string;
  id?: string;
  stream?: string;
  progressDetail?: ProgressDetail | null;
  /** The daemon's own rendering of the bar; docker shows it only when there is no progressDetail. */
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string } | null;
  aux?: unknown;
}

export interface RenderOptions {
  /** Redraw lines in place and show progress bars, as on a terminal. */
  terminal: boolean;
  /** Columns of the terminal (docker assumes 200 when it cannot tell). */
  readonly width: number;
  onAux?: (aux: unknown) => void;
  now?: () => number;
}

/** Renders messages one by one; keeps which line each layer id is on, as docker does. */
export class JsonMessageRenderer {
  private ids = new Map<string, number>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: RenderOptions,
  ) {}

  /** Shows one message; returns its error text when it carries one (nothing is shown then). */
  render(msg: JsonMessage): string | undefined {
    if (msg.aux !== undefined && msg.aux !== null) {
      this.options.onAux?.(msg.aux);
      return undefined;
    }
    const { terminal } = this.options;
    const hasProgress = msg.progressDetail !== undefined && msg.progressDetail !== null;
    const id = msg.id ?? '';
    let diff = 0;
    if (id && (hasProgress || msg.progress)) {
      let line = this.ids.get(id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(id, line);
        if (terminal) this.write('\n');
      }
      diff = this.ids.size - line;
      if (terminal && diff > 0) this.write(`\x1b[${diff}A`);
    } else {
      // anything that is not a layer's progress starts a new block (e.g. the next tag of pull -a)
      this.ids.clear();
    }
    const error = errorText(msg);
    if (error === undefined) this.display(msg, hasProgress);
    if (id && terminal && diff > 0) this.write(`\x1b[${diff}B`);
    return error;
  }

  private display(msg: JsonMessage, hasProgress: boolean): void {
    const { terminal } = this.options;
    const detail = msg.progressDetail ?? {};
    let endl = '';
    if (terminal && !msg.stream && hasProgress) {
      this.write('\x1b[2K\r');
      endl = '\r';
    } else if (hasProgress && ((detail.current ?? 0) > 0 || (detail.total ?? 0) > 0)) {
      // a progress update: only a terminal shows those
      return;
    }
    let text = msg.id ? `${msg.id}: ` : '';
    const status = msg.status ?? '';
    if (hasProgress && terminal) text += `${status} ${progressText(detail, this.options.width, this.options.now?.())}${endl}`;
    else if (msg.progress) text += `${status} ${msg.progress}${endl}`;
    else if (msg.stream) text += `${msg.stream}${endl}`;
    else text += `${status}${endl}\n`;
    this.write(text);
  }
}

/**
 * docker only looks at errorDetail; a message with just `error` is still a failure, so it ends
 * the display too rather than being printed as an empty status.
 */
function errorText(msg: JsonMessage): string | undefined {
  if (msg.errorDetail) return msg.errorDetail.message ?? msg.error ?? '';
  return msg.error || undefined;
}

/**
 * Shows a JSON-lines stream on `out` (nothing with `null`, as for --quiet, though errors still
 * end it). Throws the stream's first error as docker's CLI reports it: the message alone, exit 1.
 */
export async function displayJsonMessages(stream: AsyncIterable<Buffer | string>, out: Writable | null, onAux?: (aux: unknown) => void): Promise<void> {
  const tty = out as { isTTY?: boolean; columns?: number } | null;
  const renderer = new JsonMessageRenderer((text) => out?.write(text), {
    terminal: tty?.isTTY === true,
    // read for each message, as docker does, so a resized terminal gets bars that fit
    get width() {
      return tty?.columns ?? 200;
    },
    ...(onAux ? { onAux } : {}),
  });
  const handle = (raw: string): string | undefined => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return undefined;
    let msg: JsonMessage;
    try {
      msg = JSON.parse(line) as JsonMessage;
    } catch {
      // not JSON (a proxy's error page, say): showing it beats hiding it
      out?.write(`${line}\n`);
      return undefined;
    }
    return renderer.render(msg);
  };
  let pending = '';
  let failure: string | undefined;
  try {
    for await (const chunk of stream) {
      pending += chunk.toString();
      let nl: number;
      while (failure === undefined && (nl = pending.indexOf('\n')) >= 0) {
        failure = handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      if (failure !== undefined) break;
    }
  } catch (error) {
    throw unexpectedEof(error);
  }
  failure ??= handle(pending);
  if (failure !== undefined) throw new CliError(failure);
}
