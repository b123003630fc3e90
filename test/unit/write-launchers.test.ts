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
});
