/** berth volume create [OPTIONS] [VOLUME] */
import type { DefineCommand } from '../context.js';
import { FlagError } from '../errors.js';
import { parseLabels } from '../opts/parse.js';
import { collect } from './shared.js';

function parseOptions(entries: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals < 0) throw new FlagError(`invalid argument "${entry}" for "-o, --opt" flag: invalid key value pair format in driver options`);
    options[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return options;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('[volume]')
    .usage('[OPTIONS] [VOLUME]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect, [])
    .option('--name <string>', 'Specify volume name')
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .action(async (volume: string | undefined, opts: { driver: string; label: string[]; name?: string; opt: string[] }) => {
      if (volume !== undefined && opts.name !== undefined && volume !== opts.name) {
        throw new FlagError('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
      }
      const created = await ctx.client.json<{ Name: string }>('POST', '/volumes/create', {
        body: { Name: volume ?? opts.name ?? '', Driver: opts.driver, DriverOpts: parseOptions(opts.opt), Labels: parseLabels(opts.label) },
      });
      process.stdout.write(`${created.Name}\n`);
    });
};
