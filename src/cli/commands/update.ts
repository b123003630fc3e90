/** berth update [OPTIONS] CONTAINER...: changes resource limits and the restart policy, running or not. */
import type { DefineCommand } from '../context.js';
import { CliError } from '../errors.js';
import { parseRestart } from '../opts/parse.js';
import { resourceFields, type ResourceFlags } from './create-options.js';
import { containerPath, errorText } from './shared.js';

interface UpdateOptions extends ResourceFlags {
  restart?: string;
}

/** The update body docker's CLI sends: zero and empty mean "leave as it is"; PidsLimit only when given. */
export function updateBody(opts: UpdateOptions): Record<string, unknown> {
  return {
    ...resourceFields(opts),
    RestartPolicy: opts.restart === undefined ? { Name: '', MaximumRetryCount: 0 } : parseRestart(opts.restart),
  };

}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('<container...>')
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .option('--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period')
    .option('--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)')
    .option('--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-reservation <bytes>', 'Memory soft limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .action(async (names: string[], opts: UpdateOptions) => {
      if (Object.values(opts).every((value) => value === undefined)) {
        throw new CliError('you must provide one or more flags when using this command');
      }
      const body = updateBody(opts);
      const warnings: string[] = [];
      const errors: string[] = [];
      // docker updates one container after another and reports each name, then the warnings, then the errors.
      for (const name of names) {
        try {
          const answer = await ctx.client.json<{ Warnings?: string[] | null }>('POST', `${containerPath(name)}/update`, { body });
          process.stdout.write(`${name}\n`);
          warnings.push(...(answer?.Warnings ?? []));
        } catch (error) {
          errors.push(errorText(error));
        }
      }
      if (warnings.length) process.stdout.write(`${warnings.join('\n')}\n`);
      if (errors.length) throw new CliError(errors.join('\n'));
    });
};
