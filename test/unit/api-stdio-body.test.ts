import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkedDecoder } from '../../src/api/chunked-decoder.js';
import { splitAfterHeadEnds } from '../../src/api/connection-gate.js';
import { jsonPrefixEnd } from '../../src/api/json-prefix.js';

/** Decodes `input` fed as the given pieces; `ended` is whether the decoder's payload ended. */
async function decode(pieces: (string | Buffer)[], endInput = true): Promise<{ payload: string; ended: boolean; error?: Error }> {
  const decoder = new ChunkedDecoder();
  let payload = '';
  let ended = false;
  decoder.on('data', (data: Buffer) => (payload += data.toString('latin1')));
  decoder.on('end', () => (ended = true));
  const failed = new Promise<Error>((resolve) => decoder.on('error', resolve));
  for (const piece of pieces) decoder.write(Buffer.from(piece as string, 'latin1'));
  if (endInput) decoder.end();
  const settled = await Promise.race([failed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20))]);
  return { payload, ended, ...(settled === undefined ? {} : { error: settled }) };
}

function everyByte(text: string): string[] {
  return [...text];
}

describe('splitAfterHeadEnds', () => {
  it('cuts right after every CRLF CRLF and keeps every byte', () => {
    const chunk = Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\n\r\nbodyGET /b HTTP/1.1\r\n\r\n');
    const pieces = splitAfterHeadEnds(Buffer.alloc(0), chunk).map((piece) => piece.toString());
    assert.deepEqual(pieces, ['POST /a HTTP/1.1\r\nHost: x\r\n\r\n', 'bodyGET /b HTTP/1.1\r\n\r\n']);
  });

  it('finds a head end that began in the previous chunk', () => {
    assert.deepEqual(splitAfterHeadEnds(Buffer.from('x\r\n\r'), Buffer.from('\nstdin')).map(String), ['\n', 'stdin']);
    assert.deepEqual(splitAfterHeadEnds(Buffer.from('\r'), Buffer.from('\n\r\nrest')).map(String), ['\n\r\n', 'rest']);
    assert.deepEqual(splitAfterHeadEnds(Buffer.from('abc'), Buffer.from('no end here')).map(String), ['no end here']);
  });

  it('never yields an empty piece', () => {
    assert.deepEqual(splitAfterHeadEnds(Buffer.alloc(0), Buffer.from('\r\n\r\n\r\n\r\n')).map(String), ['\r\n\r\n', '\r\n', '\r\n']);
  });
});

describe('ChunkedDecoder', () => {
  const body = '5\r\nhello\r\n7;ext=1\r\n, world\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n';

  it('decodes a body whole and fed one byte at a time, ending at the last chunk while the input stays open', async () => {
    for (const pieces of [[body], everyByte(body)]) {
      const { payload, ended, error } = await decode(pieces, false);
      assert.equal(error, undefined);
      assert.equal(payload, 'hello, world0123456789');
      assert.equal(ended, true);
    }
  });

  it('passes binary payload through untouched and drops bytes after the body', async () => {
    const binary = Buffer.from([0, 0x0d, 0x0a, 0xff, 0x10, 0x11]);
    const { payload, ended } = await decode([Buffer.concat([Buffer.from('6\r\n'), binary, Buffer.from('\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n')])], false);
    assert.deepEqual(Buffer.from(payload, 'latin1'), binary);
    assert.equal(ended, true);
  });

  it('ends the payload when the input ends before the last chunk (a client that half-closed)', async () => {
    const open = await decode(['3\r\nabc\r\n2\r\nd'], false);
    assert.deepEqual({ payload: open.payload, ended: open.ended }, { payload: 'abcd', ended: false });
    const cut = await decode(['3\r\nabc\r\n2\r\nd']);
    assert.deepEqual({ payload: cut.payload, ended: cut.ended }, { payload: 'abcd', ended: true });
  });

  it('refuses malformed framing', async () => {
    for (const bad of ['zz\r\nabc\r\n', '3\r\nabcdef\r\n', '3\nabc\r\n', `${'1'.repeat(5000)}\r\n`, '-1\r\n']) {
      const { error } = await decode([bad], false);
      assert.match(String(error?.message), /malformed chunked request body/, bad.slice(0, 20));
    }
  });
});

describe('jsonPrefixEnd', () => {
  it('finds the end of a leading object, strings and nesting included', () => {
    const options = '{"Detach":false,"Tty":true,"x":"}{\\"]","n":{"a":[1,{}]}}';
    assert.equal(jsonPrefixEnd(Buffer.from(`  ${options}stdin {`)), options.length + 2);
    assert.equal(jsonPrefixEnd(Buffer.from('[1,[2]]rest')), 7);
  });

  it('waits for more bytes while the object is open or nothing has come', () => {
    assert.equal(jsonPrefixEnd(Buffer.from('{"Tty":tr')), undefined);
    assert.equal(jsonPrefixEnd(Buffer.from('{"a":"\\')), undefined);
    assert.equal(jsonPrefixEnd(Buffer.from(' \r\n')), undefined);
  });

  it('takes everything when the bytes cannot start an object, so the JSON parser reports them', () => {
    assert.equal(jsonPrefixEnd(Buffer.from('hello')), 5);
  });
});

