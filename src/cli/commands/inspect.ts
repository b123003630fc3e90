/**
 * berth inspect [--type container|image] [-f TEMPLATE] NAME...: a JSON array indented like
 * docker's, or the template applied to each object; unknown names are reported after the output.
 */
import type { CliContext, DefineCommand } from '../context.js';
import { CliError, DaemonError, ExitStatus, FlagError } from '../errors.js';
import { parseTemplate, type Template } from '../format/template.js';

const KINDS = ['container', 'image', 'volume'] as const;
type Kind = (typeof KINDS)[number];

async function fetchObject(ctx: CliContext, kind: Kind, name: string, size: boolean): Promise<unknown> {
  const id = encodeURIComponent(name);
  if (kind === 'container') return ctx.client.json('GET', `/containers/${id}/json`, { query: { size: size ? true : undefined } });
  if (kind === 'volume') return ctx.client.json('GET', `/volumes/${id}`);
  return ctx.client.json('GET', `/images/${id}/json`);
}

function isNotFound(error: unknown): boolean {
  return error instanceof DaemonError && error.statusCode === 404;
}

export const define: DefineCommand = (cmd, ctx, preset) => {
  cmd.argument(preset.type ? `<${preset.type}...>` : '<name...>').usage(`[OPTIONS] ${preset.type ? preset.type.toUpperCase() : 'NAME|ID'} [${preset.type ? preset.type.toUpperCase() : 'NAME|ID'}...]`);
  cmd.option('-f, --format <string>', "Format output using a custom template: 'json', or a Go template");
  if (!preset.type) cmd.option('--type <string>', 'Only inspect objects of the given type');
  if (preset.type !== 'volume') cmd.option('-s, --size', 'Display total file sizes if the type is container');
  cmd.action(async (names: string[], opts: { format?: string; type?: string; size?: boolean }) => {
    const type = preset.type ?? opts.type;
    if (type !== undefined && !(KINDS as readonly string[]).includes(type)) throw new FlagError(`"${type}" is not a valid value for --type`);
    let template: Template | undefined;
    if (opts.format && opts.format !== 'json') {
      try {
        template = parseTemplate(opts.format);
      } catch (error) {
        throw new CliError(`template parsing error: ${(error as Error).message}`);
      }
    }
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of names) {
      const kinds: readonly Kind[] = type ? [type as Kind] : KINDS;
      let object: unknown;
      let lastError: unknown;
      for (const kind of kinds) {
        try {
          object = await fetchObject(ctx, kind, name, opts.size ?? false);
          break;
        } catch (error) {
          lastError = error;
          if (!isNotFound(error)) break;
        }
      }
      if (object !== undefined) found.push(object);
      else if (!type && isNotFound(lastError)) errors.push(`Error: No such object: ${name}`);
      else errors.push(lastError instanceof DaemonError ? lastError.display : (lastError as Error).message);
    }
    if (template) {
      for (const object of found) {
        try {
          process.stdout.write(`${template.execute(object)}\n`);
        } catch (error) {
          throw new CliError(`template parsing error: ${(error as Error).message}`);
        }
      }
    } else {
      process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
    }
    if (errors.length) {
      process.stderr.write(`${errors.join('\n')}\n`);
      throw new ExitStatus(1);
    }
  });
};
