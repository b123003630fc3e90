import { basename, join } from 'node:path';
import { pathExists } from '../common/path-exists.js';
import { type CommandResult, runCommand } from '../common/run-command.js';
import { internal } from '../common/errors.js';
import { SealedProgram } from '../sys/sealed-program.js';
import type { SeccompBpfCache } from './seccomp-bpf-cache.js';

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
}

/**
 * One OCI runtime binary driven through the command line that crun and runc share
 * (create by conmon, then start/kill/pause/resume/state/delete/exec by us). Both
 * runtimes are this class with a different path; their state lives under
 * root so berth never sees, nor disturbs, containers of other engines.
 */
export class OciRuntime {
  private readonly program: SealedProgram;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly root: string,
    /** Filters compiled by earlier creates, for a runtime that takes them back (crun). */
    readonly compiledSeccomp?: SeccompBpfCache,
  ) {
    this.program = new SealedProgram(path);
  }

  /** What to execute for the runtime: its binary's sealed copy (see sealed-program.ts). */
  executable(): Promise<string> {
    return this.program.executable();
  }

  /**
   * The program and argv that run the runtime with its global arguments: its sealed copy, under
   * the binary's own name (not the copy's /proc path).
   */
  private async invocation(args: string[]): Promise<{ file: string; argv: string[] }> {
    return { file: await this.executable(), argv: [basename(this.path), ...this.globalArgs(), ...args] };
  }

  private async command(args: string[]): Promise<CommandResult> {
    const { file, argv } = await this.invocation(args);
    return runCommand(file, argv.slice(1), argv[0]);
  }

  /** Arguments placed before the subcommand: the runtime's state root. */
  globalArgs(): string[] {
    return ['--root', this.root];
  }

  private async run(args: string[], what: string): Promise<string> {
    const result = await this.command(args);
    if (result.code !== 0) throw internal(`${this.name} ${what}: ${cleanRuntimeMessage(result.stderr)}`);
    return result.stdout;
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id], 'start');
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)], 'kill');
  }

  /** Live changes to a running container's cgroup limits (`--memory=…`, `--pids-limit=…`, …; same flags in crun and runc). */
  async update(id: string, flags: string[]): Promise<void> {
    if (flags.length === 0) return;
    await this.run(['update', ...flags, id], 'update');
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id], 'pause');
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id], 'resume');
  }

  /** The runtime's view of a container, or undefined when it does not know it. */
  async state(id: string): Promise<RuntimeState | undefined> {
    const result = await this.command(['state', id]);
    if (result.code !== 0) return undefined;
    return JSON.parse(result.stdout) as RuntimeState;
  }

  /** Whether the runtime keeps state for the container (crun and runc both keep `<root>/<id>/`). */
  hasState(id: string): Promise<boolean> {
    return pathExists(join(this.root, id));
  }

  async delete(id: string): Promise<void> {
    const result = await this.command(['delete', '--force', id]);
    if (result.code !== 0 && !/does not exist|not exist|no such/i.test(result.stderr)) {
      throw internal(`${this.name} delete: ${cleanRuntimeMessage(result.stderr)}`);
    }
  }

  /** Lists the processes of a container as pids in the host's pid namespace. */
  async ps(id: string): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', id], 'ps');
    return JSON.parse(out) as number[];
  }

  /**
   * What runs `exec` of a process described by a process.json file, for a caller that wires its
   * stdio; with a pid file, the runtime writes the process's pid there (so it can be killed).
   */
  execInvocation(id: string, processFile: string, pidFile?: string): Promise<{ file: string; argv: string[] }> {
    return this.invocation(['exec', '--process', processFile, ...(pidFile ? ['--pid-file', pidFile] : []), id]);
  }
}

/** Runtime errors come as log lines (JSON for runc, `crun: msg` for crun): keep the message. */
export function cleanRuntimeMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const messages = lines.map((line) => {
    try {
      const parsed = JSON.parse(line) as { msg?: string };
      if (parsed.msg) return parsed.msg;
    } catch {
      // not JSON: crun's plain text
    }
    return line.replace(/^time="[^"]*" level=\w+ msg="(.*)"$/, '$1').replace(/^(crun|runc): /, '');
  });
  return messages.join('; ') || 'unknown error';
}
