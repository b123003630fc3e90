import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/daemon.js';
import { CLI_NODE_FLAGS } from '../../src/tools/cli-node-flags.js';

describe('write-launchers', () => {
  it('writes berth with the CLI V8 flags and berthd without, each a working #! command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-launchers-'));
    try {
      const written = spawnSync(process.execPath, [join(REPO, 'dist/src/tools/write-launchers.js'), dir], { encoding: 'utf8' });
      assert.equal(written.status, 0, written.stderr);
      const berthLine = readFileSync(join(dir, 'berth'), 'utf8').split('\n')[0]!;
      assert.equal(berthLine, `#!/usr/bin/env -S ${process.execPath} ${CLI_NODE_FLAGS.join(' ')}`);
      assert.ok(berthLine.length < 256, 'the kernel reads the whole #! line');
      assert.equal(readFileSync(join(dir, 'berthd'), 'utf8').split('\n')[0], `#!${process.execPath}`);
      const version = spawnSync(join(dir, 'berth'), ['--version'], { encoding: 'utf8' });
      assert.match(version.stdout, /^berth version \S+, build \S+\n$/, version.stderr);
      const help = spawnSync(join(dir, 'berthd'), ['--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps Node's built-in modules on the code cache compiled into its binary", () => {
    // Some V8 flags (--no-maglev among them) change V8's flag hash: every built-in module
    // is then compiled from source at each start, a cost paid by every berth command.
    const loaded = spawnSync(process.execPath, [...CLI_NODE_FLAGS, '-e', 'require("node:http"); require("node:child_process")'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
    });
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.match(loaded.stderr, /with code cache/, 'Node reports how it compiles its modules');
    assert.doesNotMatch(loaded.stderr, /is rejected/);
  });
});
