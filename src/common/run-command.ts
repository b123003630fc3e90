import { text } from 'node:stream/consumers';
import { spawnChild } from '../sys/spawn-child.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program (looked up in PATH) to completion with no input and collects its output;
 * `argv0` names it to itself when `file` is a copy (see sealed-program.ts);
 * never throws for a non-zero exit (a signal's death is 128). Started by posix_spawn: these
 * are the runtime's commands on every container operation (see spawn-child.ts).
 */
export async function runCommand(file: string, args: string[], argv0 = file): Promise<CommandResult> {
  const child = spawnChild([argv0, ...args], { file, stdio: ['null', 'pipe', 'pipe'] });
  const [stdout, stderr, status] = await Promise.all([text(child.pipes.get(1)!), text(child.pipes.get(2)!), child.exited]);
  return { code: status.code ?? 128, stdout, stderr };
}
