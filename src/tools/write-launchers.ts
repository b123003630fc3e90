/**
 * Writes the `berth` and `berthd` commands: tiny launchers with the chosen Node in their #!
 * line (no shell in between) that turn on Node's compile cache before loading berth.
 *   node dist/src/tools/write-launchers.js BIN_DIR
 * berth's line goes through `env -S`, the one way to give Node several flags from a #! line.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_NODE_FLAGS } from './cli-node-flags.js';

/** Linux reads at most this much of a #! line (BINPRM_BUF_SIZE), newline included. */
const SHEBANG_LIMIT = 256;

const binDir = process.argv[2];
if (!binDir) {
  console.error('usage: write-launchers.js BIN_DIR');
  process.exit(2);
}
const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function writeLauncher(name: string, interpreterLine: string, entry: string): void {
  if (interpreterLine.length + 1 > SHEBANG_LIMIT) throw new Error(`the #! line of ${name} is longer than the kernel reads: ${interpreterLine}`);
  const path = join(binDir!, name);
  writeFileSync(path, `${interpreterLine}\nrequire('node:module').enableCompileCache?.();\nimport(${JSON.stringify(join(srcDir, entry))});\n`);
  chmodSync(path, 0o755);
}

writeLauncher('berth', `#!/usr/bin/env -S ${process.execPath} ${CLI_NODE_FLAGS.join(' ')}`, 'cli/main.js');
writeLauncher('berthd', `#!${process.execPath}`, 'daemon/main.js');
