import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { spawnChild } from '../../src/sys/spawn-child.js';
import { runCommand } from '../../src/common/run-command.js';

async function text(stream: Readable | undefined): Promise<string> {
  assert.ok(stream, 'the pipe asked for is there');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function descriptorsWithoutCloseOnExec(): number[] {
  return readdirSync('/proc/self/fd').map(Number).filter((fd) => {
    try {
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0';
      return (Number.parseInt(flags, 8) & 0o2000000) === 0;
    } catch {
      return false;
    }
  });
}

describe('spawnChild (posix_spawn)', () => {
  it('gives the output of each pipe asked for and the exit code', async () => {
    const child = spawnChild(['sh', '-c', 'echo out; echo err >&2; echo three >&3; exit 7'], { stdio: ['null', 'pipe', 'pipe', 'pipe'] });
    const [out, err, three, status] = await Promise.all([text(child.pipes.get(1)), text(child.pipes.get(2)), text(child.pipes.get(3)), child.exited]);
    assert.deepEqual({ out, err, three, status }, { out: 'out\n', err: 'err\n', three: 'three\n', status: { code: 7 } });
  });

  it('runs the child in the working directory asked for, and refuses one that does not exist', async () => {
    const child = spawnChild(['pwd'], { stdio: ['null', 'pipe', 'null'], cwd: '/usr/share' });
    const [out, status] = await Promise.all([text(child.pipes.get(1)), child.exited]);
    assert.deepEqual({ out, status }, { out: '/usr/share\n', status: { code: 0 } });
    assert.throws(() => spawnChild(['pwd'], { stdio: ['null', 'null', 'null'], cwd: '/nonexistent-berth-dir' }), /ENOENT/);
  });

  it("feeds the child's input through a pipe on descriptor 0", async () => {
    const child = spawnChild(['cat'], { stdio: ['pipe', 'pipe', 'null'] });
    assert.ok(child.input);
    child.input.end('through cat\n');
    const [out, status] = await Promise.all([text(child.pipes.get(1)), child.exited]);
    assert.deepEqual({ out, status }, { out: 'through cat\n', status: { code: 0 } });
  });

  it('tells the signal that ended a child', async () => {
    const child = spawnChild(['sh', '-c', 'kill -TERM $$'], { stdio: ['null', 'null', 'null'] });
    assert.deepEqual(await child.exited, { signal: 15 });
  });

  it('leaves the child only the descriptors asked for, no signal blocked or ignored, and its own session when asked', async () => {
    // Read in the same tick as the spawn: what this process holds without close-on-exec then
    // (a test harness's pipe) is inherited by any child, Node's own spawn's too.
    const inheritable = descriptorsWithoutCloseOnExec();
    const child = spawnChild(['sh', '-c', 'ls /proc/self/fd; grep -E "^Sig(Blk|Ign)" /proc/self/status; awk "{print \\$6}" /proc/$$/stat'], {
      stdio: ['null', 'pipe', 'null'],
      newSession: true,
    });
    const [out] = await Promise.all([text(child.pipes.get(1)), child.exited]);
    const lines = out.trim().split('\n');
    const descriptors = lines.filter((line) => /^\d+$/.test(line)).slice(0, -1).map(Number);
    // 0, 1, 2 and the descriptor ls opened for /proc/self/fd: none of the pipes made for the child.
    const inherited = new Set([0, 1, 2, 3, ...inheritable]);
    assert.deepEqual(descriptors.filter((fd) => !inherited.has(fd)), []);
    assert.match(out, /SigBlk:\s+0+\n/);
    // Signals 1-31: SIGPIPE, which Node ignores, is back to its default. (32 and 33 are glibc's
    // own, which posix_spawn leaves as they are and glibc takes over in every program.)
    const ignored = BigInt(`0x${/SigIgn:\s+([0-9a-f]+)/.exec(out)?.[1] ?? 'ffff'}`);
    assert.equal(ignored & 0x7fffffffn, 0n, out);
    assert.equal(Number(lines.at(-1)), child.pid, 'the child leads a session of its own');
  });

  it('passes the environment given, and only it', async () => {
    const child = spawnChild(['/usr/bin/env'], { stdio: ['null', 'pipe', 'null'], env: { ONLY: 'this' } });
    const [out] = await Promise.all([text(child.pipes.get(1)), child.exited]);
    assert.equal(out, 'ONLY=this\n');
  });

  it('throws ENOENT for a program that is not there, and keeps no descriptor of it', () => {
    const before = readdirSync('/proc/self/fd').length;
    assert.throws(() => spawnChild(['/no/such/program'], { stdio: ['null', 'pipe', 'pipe'] }), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    assert.equal(readdirSync('/proc/self/fd').length, before);
  });

  it('reaps every child of a burst, leaving no zombie behind', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, index) => runCommand('sh', ['-c', `echo ${index}; exit ${index % 5}`])));
    results.forEach((result, index) => assert.deepEqual(result, { code: index % 5, stdout: `${index}\n`, stderr: '' }));
    const zombies = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return fields[0] === 'Z' && Number(fields[1]) === process.pid;
      } catch {
        return false;
      }
    });
    assert.deepEqual(zombies, []);
  });
});

