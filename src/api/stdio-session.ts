import type { Readable, Writable } from 'node:stream';
import { DEFAULT_DETACH_KEYS, DetachWatcher, parseDetachKeys } from '../common/detach-keys.js';
import { invalidArgument } from '../common/errors.js';
import type { OutputChunk, StdioSession } from '../engine/types.js';
import { writeWithBackpressure } from './http-io.js';
import type { StdioChannel } from './stdio-connection.js';
import { encodeOutput } from './stdio-framing.js';

/**
 * Copies output batches to the client, one write per batch, waiting for drain
 * when the client reads slowly. Resolves true when the output ended, false when
 * the client went away first (the producer is then told to stop).
 */
export async function copyOutput(
  output: AsyncIterable<OutputChunk[]>,
  out: Writable,
  tty: boolean,
  closed: Promise<'closed'>,
): Promise<boolean> {
  const iterator = output[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = iterator.next();
      // A producer failing after the client left must not become an unhandled rejection.
      next.catch(() => undefined);
      const step = await Promise.race([next, closed]);
      if (step === 'closed') return false;
      if (step.done === true) {
        finished = true;
        return true;
      }
      const bytes = encodeOutput(step.value, tty);
      if (bytes.length > 0 && !(await writeWithBackpressure(out, bytes))) return false;
    }
  } finally {
    if (!finished) iterator.return?.()?.catch(() => undefined);
  }
}

/**
 * Forwards the client's bytes to the process's stdin with backpressure. When the
 * client half-closes, stdin is ended and output keeps flowing. When the client
 * types the detach keys (not forwarded), `onDetach` is called and forwarding
 * stops, stdin left open, as dockerd detaches. Returns a function that stops
 * forwarding and discards whatever the client sends afterwards, so its end of
 * the connection is still noticed.
 */
function forwardInput(
  input: Readable,
  stdin: Writable | undefined,
  options: { detachKeys: number[]; finishInput: (() => Promise<void>) | undefined },
  onDetach: () => void,
): () => void {
  const { detachKeys, finishInput } = options;
  const writable = (): boolean => stdin !== undefined && !stdin.destroyed && !stdin.writableEnded;
  const watcher = stdin !== undefined && detachKeys.length > 0 ? new DetachWatcher(detachKeys) : undefined;
  let detached = false;
  const onData = (data: Buffer): void => {
    if (detached || !writable()) return;
    let bytes = data;
    if (watcher) {
      const seen = watcher.feed(data);
      bytes = seen.forward;
      detached = seen.detach;
    }
    if (bytes.length > 0 && !stdin!.write(bytes)) {
      input.pause();
      stdin!.once('drain', () => input.resume());
    }
    if (detached) onDetach();
  };
  const onEnd = (): void => {
    if (detached || stdin === undefined) return;
    if (finishInput) {
      detached = true;
      void finishInput().finally(onDetach);
    } else if (writable()) stdin.end();
  };
  // A process that exits with input unread fails the write (EPIPE); its output says the rest.
  const onStdinGone = (): void => {
    input.resume();
  };
  stdin?.on('error', onStdinGone);
  stdin?.on('close', onStdinGone);
  input.on('data', onData);
  input.on('end', onEnd);
  input.resume();
  return () => {
    input.off('data', onData);
    input.off('end', onEnd);
    stdin?.off('close', onStdinGone);
    input.resume();
  };
}

/**
 * Runs a stdio session over a taken-over connection until the process's output
 * ends or the client detaches (then the connection is closed), or the client goes
 * away (then the session is closed).
 */
export async function serveSession(session: StdioSession, channel: StdioChannel, detachKeys: number[]): Promise<void> {
  let detach = (): void => {};
  const detached = new Promise<'closed'>((resolve) => (detach = () => resolve('closed')));
  let userDetached = false;
  const stopInput = forwardInput(channel.input, session.stdin, { detachKeys, finishInput: session.finishInput }, () => {
    userDetached = true;
    detach();
  });
  try {
    const ended = await copyOutput(session.output, channel.out, session.tty, Promise.race([channel.closed, detached]));
    if (ended || userDetached) channel.out.end();
  } finally {
    stopInput();
    session.close();
  }
}

/** The keys of a session (docker's --detach-keys syntax; docker's own when none are named), refused before the stream opens. */
export function sessionDetachKeys(spec: string | null | undefined): number[] {
  const named = spec || DEFAULT_DETACH_KEYS;
  try {
    return parseDetachKeys(named);
  } catch {
    throw invalidArgument(`Invalid detach keys (${named}) provided`);
  }
}
