import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/errors.js';
import { JsonMessageRenderer, displayJsonMessages, goDuration, progressText, type JsonMessage } from '../../src/cli/progress.js';

const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';
const C = 'cccccccccccc';
const PULL_DIGEST = `sha256:${'c'.repeat(64)}`;
const PUSH_DIGEST = `sha256:${'e'.repeat(64)}`;

/** A pull as the daemon streams it. */
const PULL: JsonMessage[] = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: A },
  { status: 'Pulling fs layer', progressDetail: {}, id: B },
  { status: 'Waiting', progressDetail: {}, id: B },
  { status: 'Downloading', progressDetail: { current: 1000, total: 2000000 }, progress: '[>   ] 1kB/2MB', id: A },
  { status: 'Downloading', progressDetail: { current: 1500000, total: 2000000 }, progress: '[==> ] 1.5MB/2MB', id: A },
  { status: 'Verifying Checksum', progressDetail: {}, id: A },
  { status: 'Download complete', progressDetail: {}, id: A },
  { status: 'Extracting', progressDetail: { current: 32768, total: 2000000 }, progress: '[>  ] 32kB/2MB', id: A },
  { status: 'Pull complete', progressDetail: {}, id: A },
  { status: 'Already exists', progressDetail: {}, id: B },
  { status: `Digest: ${PULL_DIGEST}` },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

const PUSH: JsonMessage[] = [
  { status: 'The push refers to repository [localhost:5000/x]' },
  { status: 'Preparing', progressDetail: {}, id: A },
  { status: 'Preparing', progressDetail: {}, id: B },
  { status: 'Preparing', progressDetail: {}, id: C },
  { status: 'Waiting', progressDetail: {}, id: B },
  { status: 'Pushing', progressDetail: { current: 512, total: 1024000 }, progress: '[>  ] 512B/1.024MB', id: A },
  { status: 'Layer already exists', progressDetail: {}, id: C },
  { status: 'Mounted from library/foo', progressDetail: {}, id: B },
  { status: 'Pushed', progressDetail: {}, id: A },
  { status: `latest: digest: ${PUSH_DIGEST} size: 1234` },
  { progressDetail: {}, aux: { Tag: 'latest', Digest: PUSH_DIGEST, Size: 1234 } },
];

function render(messages: JsonMessage[], terminal: boolean, width = 200, onAux?: (aux: unknown) => void): string {
  let out = '';
  const renderer = new JsonMessageRenderer((text) => (out += text), { terminal, width, ...(onAux ? { onAux } : {}) });
  for (const msg of messages) assert.equal(renderer.render(msg), undefined);
  return out;
}

// The expected texts are docker CLI 28.2's own output for the same streams.
describe('JSON message display without a terminal', () => {
  it('prints each status once and leaves progress updates out', () => {
    assert.equal(
      render(PULL, false),
      'latest: Pulling from library/busybox\n' +
        `${A}: Pulling fs layer\n${B}: Pulling fs layer\n${B}: Waiting\n` +
        `${A}: Verifying Checksum\n${A}: Download complete\n${A}: Pull complete\n${B}: Already exists\n` +
        `Digest: ${PULL_DIGEST}\nStatus: Downloaded newer image for busybox:latest\n`,
    );
  });

  it('shows a push, keeping the aux record for the caller', () => {
    const aux: unknown[] = [];
    assert.equal(
      render(PUSH, false, 200, (a) => aux.push(a)),
      'The push refers to repository [localhost:5000/x]\n' +
        `${A}: Preparing\n${B}: Preparing\n${C}: Preparing\n${B}: Waiting\n` +
        `${C}: Layer already exists\n${B}: Mounted from library/foo\n${A}: Pushed\n` +
        `latest: digest: ${PUSH_DIGEST} size: 1234\n`,
    );
    assert.deepEqual(aux, [{ Tag: 'latest', Digest: PUSH_DIGEST, Size: 1234 }]);
  });

  it('prints stream text as it is (load)', () => {
    assert.equal(render([{ stream: 'Loaded image: busybox:latest\n' }, { stream: 'Loaded image ID: sha256:abc\n' }], false), 'Loaded image: busybox:latest\nLoaded image ID: sha256:abc\n');
  });
});

describe('JSON message display on a terminal', () => {
  it('keeps one line per layer and redraws it in place, with bars on a wide terminal', () => {
    assert.equal(
      render(PULL, true, 150),
      'latest: Pulling from library/busybox\n' +
        `\n\x1b[1A\x1b[2K\r${A}: Pulling fs layer \r\x1b[1B` +
        `\n\x1b[1A\x1b[2K\r${B}: Pulling fs layer \r\x1b[1B` +
        `\x1b[1A\x1b[2K\r${B}: Waiting \r\x1b[1B` +
        `\x1b[2A\x1b[2K\r${A}: Downloading [>${' '.repeat(50)}]      1kB/2MB\r\x1b[2B` +
        `\x1b[2A\x1b[2K\r${A}: Downloading [${'='.repeat(37)}>${' '.repeat(13)}]    1.5MB/2MB\r\x1b[2B` +
        `\x1b[2A\x1b[2K\r${A}: Verifying Checksum \r\x1b[2B` +
        `\x1b[2A\x1b[2K\r${A}: Download complete \r\x1b[2B` +
        `\x1b[2A\x1b[2K\r${A}: Extracting [>${' '.repeat(50)}]  32.77kB/2MB\r\x1b[2B` +
        `\x1b[2A\x1b[2K\r${A}: Pull complete \r\x1b[2B` +
        `\x1b[1A\x1b[2K\r${B}: Already exists \r\x1b[1B` +
        `Digest: ${PULL_DIGEST}\nStatus: Downloaded newer image for busybox:latest\n`,
    );
  });

  it('leaves the bar out on a terminal 110 columns wide or less', () => {
    const out = render(PULL, true, 80);
    assert.ok(out.includes(`\x1b[2A\x1b[2K\r${A}: Downloading    1.5MB/2MB\r\x1b[2B`));
    assert.ok(!out.includes('['.concat('=')));
  });

  it('redraws push lines by their position', () => {
    assert.equal(
      render(PUSH, true, 150),
      'The push refers to repository [localhost:5000/x]\n' +
        `\n\x1b[1A\x1b[2K\r${A}: Preparing \r\x1b[1B` +
        `\n\x1b[1A\x1b[2K\r${B}: Preparing \r\x1b[1B` +
        `\n\x1b[1A\x1b[2K\r${C}: Preparing \r\x1b[1B` +
        `\x1b[2A\x1b[2K\r${B}: Waiting \r\x1b[2B` +
        `\x1b[3A\x1b[2K\r${A}: Pushing [>${' '.repeat(50)}]     512B/1.024MB\r\x1b[3B` +
        `\x1b[1A\x1b[2K\r${C}: Layer already exists \r\x1b[1B` +
        `\x1b[2A\x1b[2K\r${B}: Mounted from library/foo \r\x1b[2B` +
        `\x1b[3A\x1b[2K\r${A}: Pushed \r\x1b[3B` +
        `latest: digest: ${PUSH_DIGEST} size: 1234\n`,
    );
  });

  it('starts a new block of lines after a status without progress (pull -a, next tag)', () => {
    const out = render(
      [
        { status: 'Pulling fs layer', progressDetail: {}, id: A },
        { status: 'Pulling from library/busybox', id: '1.36' },
        { status: 'Pulling fs layer', progressDetail: {}, id: A },
      ],
      true,
    );
    assert.equal(out, `\n\x1b[1A\x1b[2K\r${A}: Pulling fs layer \r\x1b[1B1.36: Pulling from library/busybox\n\n\x1b[1A\x1b[2K\r${A}: Pulling fs layer \r\x1b[1B`);
  });
});

describe('progress text', () => {
  it('estimates the time left from the start time', () => {
    const now = 1_700_000_100_000;
    // 100 s for a quarter: 300 s to go
    assert.equal(progressText({ current: 250, total: 1000, start: now / 1000 - 100 }, 120, now), `[${'='.repeat(12)}>${' '.repeat(38)}]     250B/1kB 5m0s`);
    assert.equal(progressText({ current: 250, total: 1000, start: now / 1000 - 100 }, 40, now), '    250B/1kB');
  });
  it('shows counts in units, hides them on request, and drops a total smaller than the current', () => {
    assert.equal(progressText({ current: 3, total: 10, units: 'layers' }, 80), '3/10 layers');
    assert.equal(progressText({ current: 3, total: 10, hidecounts: true }, 120), `[${'='.repeat(15)}>${' '.repeat(35)}] `);
    assert.equal(progressText({ current: 2000, total: 1000 }, 80), '     2kB');
    assert.equal(progressText({ current: 1234567 }, 80), ' 1.235MB');
    assert.equal(progressText({}, 200), '');
  });
  it('writes durations as Go does', () => {
    assert.deepEqual([0, 45, 125, 3603, -5].map(goDuration), ['0s', '45s', '2m5s', '1h0m3s', '-5s']);
  });
});

function collector(isTTY: boolean): Writable & { text: string; isTTY: boolean; columns: number } {
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string; isTTY: boolean; columns: number };
  out.text = '';
  out.isTTY = isTTY;
  out.columns = 150;
  return out;
}

/** The stream as the daemon writes it (\r\n after each message), cut into awkward pieces. */
function wire(messages: JsonMessage[], piece = 7): Readable {
  const bytes = messages.map((m) => `${JSON.stringify(m)}\r\n`).join('');
  const chunks: string[] = [];
  for (let i = 0; i < bytes.length; i += piece) chunks.push(bytes.slice(i, i + piece));
  return Readable.from(chunks);
}

describe('displaying a daemon stream', () => {
  it('reassembles messages split across reads and uses the terminal width', async () => {
    const out = collector(true);
    await displayJsonMessages(wire(PULL), out);
    assert.equal(out.text, render(PULL, true, 150));
  });

  it('ends at the first error, which becomes the command error', async () => {
    const out = collector(false);
    const failing: JsonMessage[] = [
      PULL[0]!,
      { errorDetail: { message: 'failed to register layer: boom' }, error: 'failed to register layer: boom' },
      { status: 'never shown' },
    ];
    await assert.rejects(displayJsonMessages(wire(failing), out), (error: unknown) => error instanceof CliError && error.message === 'failed to register layer: boom' && error.status === 1);
    assert.equal(out.text, 'latest: Pulling from library/busybox\n');
  });

  it('treats a bare error field as a failure too', async () => {
    await assert.rejects(displayJsonMessages(wire([{ error: 'only error field' }]), collector(false)), /only error field/);
  });

  it('shows nothing for quiet, but still fails on an error', async () => {
    await displayJsonMessages(wire(PULL), null);
    await assert.rejects(displayJsonMessages(wire([{ errorDetail: { code: 401, message: 'unauthorized: x' } }]), null), /^CliError: unauthorized: x$/);
  });

  it('reports a stream the daemon cut short as docker does', async () => {
    const cut = new Readable({ read() {} });
    cut.push('{"status":"Pulling from library/busybox","id":"latest"}\r\n');
    setImmediate(() => cut.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    await assert.rejects(displayJsonMessages(cut, collector(false)), (error: unknown) => error instanceof CliError && error.message === 'unexpected EOF');
  });

  it('prints a line that is not JSON as it came', async () => {
    const out = collector(false);
    await displayJsonMessages(Readable.from(['<html>bad gateway</html>\r\n', '{"status":"ok"}']), out);
    assert.equal(out.text, '<html>bad gateway</html>\nok\n');
  });
});
