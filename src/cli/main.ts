/**
 * berth: the command line. Start-up cost matters, so this file only finds which command was asked
 * for, then loads commander and that one command's module; `--version` loads neither.
 */
import type { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { MANAGEMENT, TOP_LEVEL, findEntry, type CommandEntry } from './command-table.js';

/** Global options that take a value (so the word after them is not the command). */
const GLOBAL_WITH_VALUE = new Set(['-H', '--host', '-l', '--log-level', '--config', '-c', '--context']);

interface Located {
  /** Index in argv of the command word, or -1. */
  index: number;
  version: boolean;
  help: boolean;
}

function locateCommand(argv: string[]): Located {
  let version = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '-v' || word === '--version') version = true;
    else if (word === '-h' || word === '--help') help = true;
    else if (GLOBAL_WITH_VALUE.has(word)) i++;
    else if (!word.startsWith('-')) return { index: i, version, help };
  }
  return { index: -1, version, help };
}

/** docker's wording for commander's usage errors; flag errors exit 125, argument-count errors 1. */
function usageError(error: CommanderError, commandPath: string, cmd: Command | undefined): { text: string; status: number } {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const hint = `See '${commandPath} --help'.`;
  switch (error.code) {
    case 'commander.unknownOption':
      return { text: `unknown flag: ${quoted}\n${hint}`, status: 125 };
    case 'commander.optionMissingArgument': {
      const flag = quoted.split(/[ ,]/).find((f) => f.startsWith('--')) ?? quoted;
      return { text: `flag needs an argument: ${flag}\n${hint}`, status: 125 };
    }
    case 'commander.invalidArgument':
      return { text: `${error.message.replace(/^error: /, '')}\n${hint}`, status: 125 };
    case 'commander.missingArgument':
    case 'commander.excessArguments': {
      const args = cmd?.registeredArguments ?? [];
      const required = args.filter((a) => a.required).length;
      const variadic = args.some((a) => a.variadic);
      const noun = (n: number) => (n === 1 ? 'argument' : 'arguments');
      const rule =
        args.length === 0
          ? `accepts no arguments`
          : variadic
            ? `requires at least ${required} ${noun(required)}`
            : required === args.length
              ? `requires exactly ${required} ${noun(required)}`
              : `accepts at most ${args.length} ${noun(args.length)}`;
      const usage = cmd ? `\n\nUsage:  ${commandPath} ${cmd.usage()}\n\n${cmd.description()}` : '';
      return { text: `"${commandPath}" ${rule}.\n${hint}${usage}`, status: 1 };
    }
    default:
      return { text: error.message.replace(/^error: /, ''), status: error.exitCode || 1 };
  }
}

async function run(argv: string[]): Promise<number> {
  const located = locateCommand(argv);
  if (located.index < 0 && located.version && !located.help) {
    const { versionLine } = await import('./build-info.js');
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }

  // commander is CommonJS: require() skips what an ESM import of it costs (Node scanning its
  // source for export names), about 4 ms of every command's start.
  const { Command: CommandClass, CommanderError: CommanderErrorClass } = createRequire(import.meta.url)('commander') as typeof import('commander');
  const program = new CommandClass('berth')
    .usage('[OPTIONS] COMMAND')
    .description('A Docker-compatible container engine client')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .option('--config <string>', 'Location of client config files (default "~/.docker")')
    .option('-H, --host <host>', 'Daemon socket to connect to')
    .option('-D, --debug', 'Enable debug mode')
    .option('-l, --log-level <level>', 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")', 'info')
    .option('-v, --version', 'Print version information and quit');

  const word = located.index >= 0 ? argv[located.index]! : undefined;
  let selected: CommandEntry | undefined;
  let selectedCmd: Command | undefined;
  let commandPath = 'berth';
  let parent: Command = program;
  let argsStart = argv.length;

  if (word !== undefined && MANAGEMENT[word]) {
    const group = MANAGEMENT[word]!;
    parent = program.command(word).description(group.summary).usage('COMMAND');
    commandPath = `berth ${word}`;
    const subIndex = argv.findIndex((w, i) => i > located.index && !w.startsWith('-'));
    const sub = subIndex < 0 ? undefined : argv[subIndex];
    argsStart = subIndex + 1;
    selected = sub === undefined ? undefined : findEntry(group.commands, sub);
    if (sub !== undefined && !selected && !located.help) {
      process.stderr.write(`berth: '${word} ${sub}' is not a berth command.\nSee 'berth ${word} --help'\n`);
      return 1;
    }
    // The group's other commands only matter to its help; each costs commander a cold object.
    if (!selected) for (const entry of group.commands) parent.command(entry.name).aliases(entry.aliases ?? []).description(entry.summary);
    if (selected) commandPath = `berth ${word} ${selected.name}`;
  } else if (word !== undefined) {
    selected = findEntry(TOP_LEVEL, word);
    if (!selected) {
      process.stderr.write(`berth: '${word}' is not a berth command.\nSee 'berth --help'\n`);
      return 1;
    }
    commandPath = `berth ${selected.name}`;
    argsStart = located.index + 1;
  }

  // Every other command is listed only by the help that no command selects: registering the
  // ~50 of them cost each command ~2-3 ms of start-up.
  if (!selected) {
    for (const [name, group] of Object.entries(MANAGEMENT)) if (name !== word) program.command(name).description(group.summary);
    for (const entry of TOP_LEVEL) program.command(entry.name).description(entry.summary);
  }

  const loaded = selected
    ? await Promise.all([import('./context.js'), import(`./commands/${selected.module}.js`) as Promise<{ define: import('./context.js').DefineCommand }>])
    : undefined;
  const globals = () => program.opts<{ host?: string; config?: string }>();
  const ctx = loaded ? new loaded[0].CliContext(() => globals().host, commandPath, () => globals().config) : undefined;
  const module = loaded?.[1];
  if (selected && module && ctx) {
    selectedCmd = parent.command(selected.name).aliases(selected.aliases ?? []).description(selected.summary);
    module.define(selectedCmd, ctx, selected.preset ?? {});
    const { rewriteBooleanAssignments } = await import('./argv.js');
    const rewritten = rewriteBooleanAssignments(selectedCmd, argv.slice(argsStart));
    argv = [...argv.slice(0, argsStart), ...rewritten.args];
    const cmd = selectedCmd;
    cmd.hook('preAction', () => {
      for (const attribute of rewritten.disabled) cmd.setOptionValue(attribute, false);
    });
  }
  if (!selected) {
    (parent === program ? program : parent).action(() => {
      if (parent === program && program.opts<{ version?: boolean }>().version) return;
      (parent === program ? program : parent).outputHelp();
    });
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    if (!selected && parent === program && program.opts<{ version?: boolean }>().version) {
      const { versionLine } = await import('./build-info.js');
      process.stdout.write(`${versionLine()}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof CommanderErrorClass) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
      const { text, status } = usageError(error, commandPath, selectedCmd);
      process.stderr.write(`${text}\n`);
      return status;
    }
    const { reportError } = await import('./report-error.js');
    return reportError(error, commandPath);
  } finally {
    ctx?.close();
  }
}

// a reader that went away (`berth save IMAGE | head -c 1`) ends the command quietly, as SIGPIPE
// ends docker's, instead of with a stack trace
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(141);
});

const status = await run(process.argv.slice(2));
const { restoreTerminal } = await import('./terminal.js');
restoreTerminal();
process.stdout.write('', () => process.exit(status));
