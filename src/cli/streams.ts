/**
 * Copying a hijacked attach/exec connection to the terminal: output is raw bytes with a tty, else
 * docker's multiplexed framing; local stdin goes up the same socket and, when it ends, only the
 * write side is closed so the rest of the output still arrives. Also plain responses copied to stdout.
 */
import { once } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';
import { DetachWatcher, parseDetachKeys as parseKeys } from '../common/detach-keys.js';
import { FlagError } from './errors.js';

const HEADER_LENGTH = 8;

/** Splits docker's multiplexed stream ([stream, 0, 0, 0, size uint32 BE] + payload) into its frames. */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER_LENGTH) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_LENGTH + size) break;
      const stream = this.pending[0]!;
      const payload = this.pending.subarray(HEADER_LENGTH, HEADER_LENGTH + size);
      this.pending = this.pending.subarray(HEADER_LENGTH + size);
      this.onFrame(stream, payload);
    }
  }
}

/** docker's --detach-keys syntax, refused as the docker CLI refuses it. */
export function parseDetachKeys(spec: string): number[] {
  try {
    return parseKeys(spec);
  } catch (error) {
    throw new FlagError((error as Error).message);
  }
}

export interface PumpOptions {
  socket: Duplex;
  head: Buffer;
  tty: boolean;
  stdin: Readable | undefined;
  stdout: Writable;
  stderr: Writable;
  /** Only honoured with a tty, as docker does. */
  detachKeys: number[] | undefined;
}

export type PumpResult = 'ended' | 'detached';

/** Copies both ways until the daemon ends the output (or the user detaches). */
export function pumpStreams(options: PumpOptions): Promise<PumpResult> {
  const { socket, tty, stdin, stdout, stderr } = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (result: PumpResult) => {
      if (settled) return;
      settled = true;
      if (stdin) {
        stdin.removeListener('data', onInput);
        stdin.removeListener('end', onInputEnd);
        stdin.pause();
      }
      const flushed = () => resolve(result);
      // wait until what was written reaches the terminal or pipe
      if (stdout.writableNeedDrain) stdout.once('drain', flushed);
      else flushed();
    };

    const demuxer = new Demuxer((stream, payload) => {
      if (stream === 2 || stream === 3) stderr.write(payload);
      else stdout.write(payload);
    });
    const onOutput = (chunk: Buffer) => (tty ? stdout.write(chunk) : demuxer.push(chunk));

    const watcher = tty && options.detachKeys?.length ? new DetachWatcher(options.detachKeys) : undefined;
    const onInput = (chunk: Buffer | string) => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (!watcher) {
        socket.write(data);
        return;
      }
      const { forward, detach } = watcher.feed(data);
      if (forward.length) socket.write(forward);
      if (detach) {
        socket.destroy();
        finish('detached');
      }
    };
    const onInputEnd = () => {
      if (!socket.destroyed) socket.end();
    };

    if (options.head.length) onOutput(options.head);
    socket.on('data', onOutput);
    socket.on('end', () => finish('ended'));
    socket.on('close', () => finish('ended'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      // the daemon closing first while stdin is still being written is a normal end
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') finish('ended');
      else reject(error);
    });
    if (stdin) {
      stdin.on('data', onInput);
      stdin.on('end', onInputEnd);
      stdin.resume();
    } else {
      // nothing will be sent: half-close now, as docker does, so the daemon sees EOF on stdin
      socket.end();
    }
  });
}

/** Copies a response (save's tar, a non-JSON load answer) to stdout, waiting when the pipe is full. */
export async function copyToStdout(source: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of source) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}
