import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, watch, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SealedProgram } from '../../src/sys/sealed-program.js';
import { FULL_SEALS, sealsOf } from '../../src/sys/libc.js';
import { runCommand } from '../../src/common/run-command.js';
import { spawnChild } from '../../src/sys/spawn-child.js';

const CRUN = '/usr/bin/crun';

/** The names crun creates in its state directory while it runs `--version` from `file`. */
async function crunScratchFiles(file: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-crun-state-'));
  const seen: string[] = [];
  const watcher = watch(dir, (_event, name) => {
    if (name !== null) seen.push(name);
  });
  try {
    const child = spawnChild(['crun', '--version'], { file, stdio: ['null', 'null', 'null'], env: { _LIBCONTAINER_STATEDIR: dir } });
    assert.deepEqual(await child.exited, { code: 0 });
    await sleep(50);
    return seen;
  } finally {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function memfdCount(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('/memfd:');
    } catch {
      return false;
    }
  }).length;
}

function withScript(body: (path: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-sealed-'));
    try {
      const path = join(dir, 'tool');
      writeFileSync(path, '#!/bin/sh\necho first "$0" "$@"\n', { mode: 0o755 });
      await body(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('SealedProgram', () => {
  it('runs a fully sealed in-memory copy of the file, which nobody can write', withScript(async (path) => {
    const executable = await new SealedProgram(path).executable();
    assert.match(executable, new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
    assert.match(readlinkSync(executable), /^\/memfd:tool/);
    assert.deepEqual(readFileSync(executable), readFileSync(path));
    const fd = openSync(executable, 'r');
    try {
      // Exactly these seals: crun and runc skip their own copying only for this set.
      assert.equal(sealsOf(fd, executable), FULL_SEALS);
    } finally {
      closeSync(fd);
    }
    assert.throws(() => {
      const writable = openSync(executable, 'r+');
      try {
        writeSync(writable, 'x');
      } finally {
        closeSync(writable);
      }
    }, /EPERM/);
    const result = await runCommand(executable, ['an-argument'], 'tool');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^first .* an-argument\n$/);
  }));

  it('copies again when the file changes, and not before', withScript(async (path) => {
    const program = new SealedProgram(path);
    const first = await program.executable();
    assert.equal(await program.executable(), first);
    writeFileSync(path, '#!/bin/sh\necho second\n');
    const second = await program.executable();
    assert.notEqual(second, first);
    assert.equal((await runCommand(second, [])).stdout, 'second\n');
    // The replaced copy stays open for a while: a child may have been handed its path.
    assert.match(readlinkSync(first), /^\/memfd:tool/);
  }));

  it('makes one copy for callers that ask at the same time', withScript(async (path) => {
    const before = memfdCount();
    const program = new SealedProgram(path);
    const paths = await Promise.all(Array.from({ length: 6 }, () => program.executable()));
    assert.equal(new Set(paths).size, 1);
    assert.equal(memfdCount(), before + 1);
  }));

  it('gives the file itself when there is nothing to copy, so running it fails as usual', async () => {
    const missing = join(tmpdir(), 'berth-sealed-missing', 'tool');
    assert.equal(await new SealedProgram(missing).executable(), missing);
  });

  it("spares crun its copy of itself, which it makes on every run from the file", { skip: process.getuid?.() !== 0 && 'crun copies through a bind mount only as root' }, async () => {
    // From the file, crun bind-mounts itself in its state directory and executes again.
    assert.notDeepEqual(await crunScratchFiles(CRUN), []);
    assert.deepEqual(await crunScratchFiles(await new SealedProgram(CRUN).executable()), []);
  });
});
