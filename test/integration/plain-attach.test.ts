import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { isRoot, TestDaemon } from '../helpers/daemon.js';

/** A raw connection to berthd that keeps everything it receives. */
class RawConnection {
  readonly socket: net.Socket;
  received = Buffer.alloc(0);
  ended = false;

  constructor(path: string) {
    this.socket = net.connect({ path, allowHalfOpen: true });
    this.socket.on('data', (data: Buffer) => (this.received = Buffer.concat([this.received, data])));
    this.socket.on('end', () => (this.ended = true));
  }

  async until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received.toString('latin1'))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The answer's head and the stream bytes after it. */
  async answer(): Promise<{ head: string; body: () => Buffer }> {
    await this.until(() => this.received.includes('\r\n\r\n'), 'the answer head');
    const end = this.received.indexOf('\r\n\r\n');
    return { head: this.received.subarray(0, end).toString('latin1'), body: () => this.received.subarray(end + 4) };
  }
}

/** Docker's multiplexed framing split back into stdout and stderr (latin1, byte for byte); throws on anything else. */
function demultiplex(bytes: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let at = 0; at < bytes.length;) {
    assert.ok(at + 8 <= bytes.length && (bytes[at] === 1 || bytes[at] === 2), `a frame header at ${at}`);
    const length = bytes.readUInt32BE(at + 4);
    const text = bytes.subarray(at + 8, at + 8 + length).toString('latin1');
    if (bytes[at] === 1) out.stdout += text;
    else out.stderr += text;
    at += 8 + length;
  }
  return out;
}

/** The stdin bridges (socat) berthd runs for containers of `daemon`. */
function stdinBridges(daemon: TestDaemon): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(join('/proc', entry, 'cmdline'), 'latin1');
      if (command.startsWith('/usr/bin/socat') && readlinkSync(join('/proc', entry, 'cwd')).startsWith(daemon.dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('attach and exec start without Upgrade carry stdin', { skip: !isRoot && 'needs root' }, () => {
  let daemon: TestDaemon;
  let docker: Docker;

  /** A created container with stdin open once and attached. */
  async function container(cmd: string[], tty: boolean): Promise<Docker.Container> {
    return docker.createContainer({
      Image: 'busybox', Cmd: cmd, Tty: tty, OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
    });
  }

  async function exitCode(target: Docker.Container): Promise<number> {
    return ((await target.wait()) as { StatusCode: number }).StatusCode;
  }

  /** Sends a plain (no Upgrade) attach request for `id`, with `extraHead` lines and `after` bytes. */
  function plainAttach(id: string, extraHead: string, after = ''): RawConnection {
    const connection = new RawConnection(daemon.socket);
    connection.socket.write(`POST /v1.44/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berth\r\n${extraHead}\r\n${after}`);
    return connection;
  }

  before(async () => {
    daemon = await TestDaemon.start();
    docker = new Docker({ socketPath: daemon.socket });
  });
  after(async () => {
    await daemon?.stop();
  });

  test('dockerode attach without hijack: stdin after its options body reaches cat, and ending it ends cat', async () => {
    const target = await container(['sh', '-c', 'read line; echo got $line; cat'], false);
    const stream = (await target.attach({ stream: true, stdin: true, stdout: true, stderr: true })) as NodeJS.ReadWriteStream;
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (data: Buffer) => (text += data.toString()));
    docker.modem.demuxStream(stream, stdout, new PassThrough());
    await target.start();
    stream.write('hello\n');
    stream.write('{"json":"passes through"}\n');
    await eventually(() => text === 'got hello\n{"json":"passes through"}\n', `the output (so far ${JSON.stringify(text)})`);
    // dockerode drops its connection when stdin ends, so what comes after is read from the exit code.
    stream.end();
    assert.equal(await exitCode(target), 0);
    await eventually(() => stdinBridges(daemon).length === 0, 'the stdin bridge to end');
  });

  test('dockerode exec start without hijack: stdin after the JSON options reaches the process and its end ends it', async () => {
    const target = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'] });
    await target.start();
    try {
      const exec = await target.exec({ Cmd: ['sh', '-c', 'read line; echo got $line; cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const stream = (await exec.start({ stdin: true })) as NodeJS.ReadWriteStream;
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (data: Buffer) => (text += data.toString()));
      docker.modem.demuxStream(stream, stdout, new PassThrough());
      stream.write('exec stdin\nmore\n');
      await eventually(() => text === 'got exec stdin\nmore\n', `the exec output (so far ${JSON.stringify(text)})`);
      stream.end();
      let inspected = await exec.inspect();
      const deadline = Date.now() + 20_000;
      while (inspected.Running && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        inspected = await exec.inspect();
      }
      assert.equal(inspected.Running, false);
      assert.equal(inspected.ExitCode, 0);
    } finally {
      await target.remove({ force: true });
    }
  });

  test('raw chunked attach without a tty: the decoded chunks are stdin, the last chunk ends it, output is framed', async () => {
    const target = await container(['sh', '-c', 'cat; echo eof >&2'], false);
    const connection = plainAttach(target.id, 'Transfer-Encoding: chunked\r\n');
    const { head, body } = await connection.answer();
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/);
    await target.start();
    connection.socket.write('6\r\nchunk \r\n');
    connection.socket.write('4\r\none\n\r\n0\r\n\r\n');
    await connection.until(() => connection.ended, 'the stream to end after the last chunk');
    assert.deepEqual(demultiplex(body()), { stdout: 'chunk one\n', stderr: 'eof\n' });
    assert.equal(await exitCode(target), 0);
    connection.socket.destroy();
  });

  test('raw chunked attach with a tty: the output is the raw tty stream', async () => {
    const target = await container(['sh', '-c', 'read line; echo got $line'], true);
    await target.start();
    const connection = plainAttach(target.id, 'Transfer-Encoding: chunked\r\n', '7\r\nhello\r\n\r\n');
    const { head, body } = await connection.answer();
    assert.match(head, /Content-Type: application\/vnd\.docker\.raw-stream/);
    await connection.until(() => connection.ended, 'the stream to end');
    assert.match(body().toString(), /got hello\r\n/);
    assert.notEqual(body()[0], 1, 'no multiplexing header');
    assert.equal(await exitCode(target), 0);
    connection.socket.destroy();
  });

  test('raw attach without body framing: every byte after the head is stdin, the half-close ends it', async () => {
    const target = await container(['cat'], false);
    await target.start();
    const connection = plainAttach(target.id, '', 'POST /not/a/request HTTP/1.1\r\n\r\n');
    const { head, body } = await connection.answer();
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    connection.socket.end('\x00binary\xff', 'latin1');
    await connection.until(() => connection.ended, 'the stream to end after the half-close');
    assert.deepEqual(demultiplex(body()), { stdout: 'POST /not/a/request HTTP/1.1\r\n\r\n\x00binary\xff', stderr: '' });
    assert.equal(await exitCode(target), 0);
  });

  test('raw attach without body framing with a tty, to a process that exits while stdin is still open', async () => {
    const target = await container(['sh', '-c', 'read line; echo got $line'], true);
    await target.start();
    const connection = plainAttach(target.id, '', 'typed\r');
    const { body } = await connection.answer();
    await connection.until(() => connection.ended, 'the stream to end when the process exits');
    assert.match(body().toString(), /got typed/);
    assert.equal(await exitCode(target), 0);
    await eventually(() => stdinBridges(daemon).length === 0, 'the stdin bridge to end');
    connection.socket.destroy();
  });

  test('a client that leaves mid-stream ends its session and stdin bridge; the container runs on', async () => {
    // A client gone looks half-closed until a write fails (for dockerd too), so the container keeps writing.
    const target = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo $line; while sleep 0.1; do echo tick; done'], OpenStdin: true });
    await target.start();
    try {
      const connection = plainAttach(target.id, 'Transfer-Encoding: chunked\r\n', '4\r\none\n\r\n');
      const { body } = await connection.answer();
      await connection.until(() => demultiplex(body()).stdout.startsWith('one\n'), 'the echo');
      assert.equal(stdinBridges(daemon).length, 1);
      connection.socket.destroy();
      await eventually(() => stdinBridges(daemon).length === 0, 'the stdin bridge to end with the client');
      assert.equal((await target.inspect()).State.Running, true);
    } finally {
      await target.remove({ force: true });
    }
  });

  describe('detach keys, as dockerd reads them from stdin', () => {
    /** An attach (with Upgrade, as the docker CLI sends it) to a running `sh` whose stdin stays open. */
    async function attachedShell(query = ''): Promise<{ target: Docker.Container; connection: RawConnection }> {
      const target = await docker.createContainer({ Image: 'busybox', Cmd: ['sh'], OpenStdin: true, StdinOnce: false, Tty: false });
      await target.start();
      const connection = new RawConnection(daemon.socket);
      connection.socket.write(`POST /v1.44/containers/${target.id}/attach?stream=1&stdin=1&stdout=1&stderr=1${query} HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
      await connection.answer();
      return { target, connection };
    }

    test('the end of a client\'s input ends its attach and, without StdinOnce, leaves stdin open for the next client', async () => {
      const target = await docker.createContainer({ Image: 'busybox', Cmd: ['sh'], OpenStdin: true, StdinOnce: false, Tty: false });
      await target.start();
      try {
        for (const word of ['first', 'second']) {
          const connection = new RawConnection(daemon.socket);
          connection.socket.write(`POST /v1.44/containers/${target.id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
          await connection.answer();
          connection.socket.end(`echo ${word} >> /typed\n`);
          await connection.until(() => connection.ended, 'the daemon to end the attach at the end of input');
          connection.socket.destroy();
          assert.equal((await target.inspect()).State.Running, true, `sh still reads stdin after "${word}"`);
        }
        await eventually(() => daemon.berth(['exec', target.id, 'cat', '/typed']).stdout === 'first\nsecond\n', 'both lines to reach the shell');
        await eventually(() => stdinBridges(daemon).length === 0, 'no stdin bridge left');
      } finally {
        await target.remove({ force: true });
      }
    });

    test('ctrl-p ctrl-q ends the attach and leaves the container running with its stdin', async () => {
      const { target, connection } = await attachedShell();
      try {
        connection.socket.write('echo one\n');
        await connection.until(() => demultiplex((connection.received.subarray(connection.received.indexOf('\r\n\r\n') + 4))).stdout === 'one\n', 'the first echo');
        connection.socket.write('\x10\x11echo never\n');
        await connection.until(() => connection.ended, 'the daemon to end the attach');
        assert.equal((await target.inspect()).State.Running, true);
        // The shell still reads stdin: a new attach reaches it.
        const again = new RawConnection(daemon.socket);
        again.socket.write(`POST /v1.44/containers/${target.id}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
        const { body } = await again.answer();
        again.socket.write('echo two\n');
        await again.until(() => demultiplex(body()).stdout === 'two\n', 'the second echo, and never the one typed after the detach keys');
        again.socket.destroy();
      } finally {
        connection.socket.destroy();
        await target.remove({ force: true });
      }
    });

    test('detachKeys names other keys; bad ones are refused before the stream opens', async () => {
      const { target, connection } = await attachedShell('&detachKeys=ctrl-x,d');
      try {
        connection.socket.write('\x10\x11\necho still attached\n');
        await connection.until(() => connection.received.includes('still attached'), 'ctrl-p ctrl-q to pass through as input');
        connection.socket.write('\x18d');
        await connection.until(() => connection.ended, 'the attach to end on ctrl-x d');
        assert.equal((await target.inspect()).State.Running, true);
        const bad = await daemon.api('POST', `/v1.44/containers/${target.id}/attach?stream=1&stdin=1&detachKeys=ctrl-%C3%A9`);
        assert.equal(bad.status, 400);
        assert.match(bad.body.toString(), /Invalid detach keys \(ctrl-é\) provided/);
        const badExec = await daemon.api('POST', `/v1.44/containers/${target.id}/exec`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ Cmd: ['true'], DetachKeys: 'nope' }) });
        assert.equal(badExec.status, 400);
      } finally {
        connection.socket.destroy();
        await target.remove({ force: true });
      }
    });

    // With a tty, as `docker exec -it` runs: conmon holds the terminal, so the process outlives the session.
    test("an exec's DetachKeys end its session and leave the process running", async () => {
      const target = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '300'] });
      await target.start();
      try {
        const exec = await target.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, Tty: true, DetachKeys: 'ctrl-y' });
        const connection = new RawConnection(daemon.socket);
        const body = '{"Detach":false,"Tty":true}';
        connection.socket.write(`POST /v1.44/exec/${exec.id}/start HTTP/1.1\r\nHost: berth\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        await connection.answer();
        connection.socket.write('echoed\n');
        await connection.until(() => connection.received.includes('echoed'), 'cat to echo');
        connection.socket.write('\x19');
        await connection.until(() => connection.ended, 'the exec session to end on ctrl-y');
        assert.equal((await exec.inspect()).Running, true);
        connection.socket.destroy();
      } finally {
        await target.remove({ force: true });
      }
    });
  });
});
