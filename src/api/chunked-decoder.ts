import { Transform, type TransformCallback } from 'node:stream';
import { invalidArgument } from '../common/errors.js';

/** A chunk-size line longer than this is refused rather than buffered. */
const maxLineLength = 4096;

type State = { kind: 'size' } | { kind: 'data'; left: number } | { kind: 'data-end' } | { kind: 'trailer' } | { kind: 'done' };

/**
 * Decodes an HTTP/1.1 chunked body into its payload. The readable side ends at
 * the last chunk, not when the input ends, because the client that sends it
 * keeps the connection open to read the answer; input that ends before the last
 * chunk ends the payload too (a client that half-closed). Bytes after the body
 * are dropped.
 */
export class ChunkedDecoder extends Transform {
  private state: State = { kind: 'size' };
  private line = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decode(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    this.state = { kind: 'done' };
    callback();
  }

  private decode(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state.kind !== 'done') {
      const state = this.state;
      if (state.kind === 'data') {
        const take = Math.min(state.left, chunk.length - at);
        this.push(chunk.subarray(at, at + take));
        at += take;
        this.state = state.left === take ? { kind: 'data-end' } : { kind: 'data', left: state.left - take };
        continue;
      }
      const newline = chunk.indexOf(0x0a, at);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.line += chunk.toString('latin1', at, end);
      at = end;
      if (this.line.length > maxLineLength) throw invalidArgument('malformed chunked request body: line too long');
      if (newline === -1) continue;
      if (!this.line.endsWith('\r\n')) throw invalidArgument('malformed chunked request body: line not ended by CRLF');
      const line = this.line.slice(0, -2);
      this.line = '';
      this.endLine(state, line);
    }
  }

  private endLine(state: State, line: string): void {
    if (state.kind === 'size') {
      const size = line.split(';', 1)[0]!.trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw invalidArgument(`malformed chunked request body: bad chunk size ${JSON.stringify(size)}`);
      const length = Number.parseInt(size, 16);
      this.state = length === 0 ? { kind: 'trailer' } : { kind: 'data', left: length };
    } else if (state.kind === 'data-end') {
      if (line !== '') throw invalidArgument('malformed chunked request body: chunk data longer than its size');
      this.state = { kind: 'size' };
    } else if (state.kind === 'trailer' && line === '') {
      this.state = { kind: 'done' };
      this.push(null);
    }
  }
}
