/** berth info [-f TEMPLATE]: the daemon's GET /info, summarized like docker info. */
import type { DefineCommand } from '../context.js';
import { buildInfo } from '../build-info.js';
import { CliError } from '../errors.js';
import { parseTemplate } from '../format/template.js';
import { binarySize } from '../format/units.js';

type Info = Record<string, unknown> & {
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Runtimes?: Record<string, unknown>;
  Warnings?: string[] | null;
  MemTotal?: number;
  DriverStatus?: Array<[string, string]> | null;
  SecurityOptions?: string[] | null;
};

function value(info: Info, key: string): string {
  const v = info[key];
  return v === undefined || v === null ? '' : String(v);
}

/** docker's lines for SecurityOptions entries such as "name=seccomp,profile=builtin". */
function securityOptionLines(options: string[]): string[] {
  if (options.length === 0) return [];
  const lines = [' Security Options:'];
  for (const option of options) {
    const fields = new Map(option.split(',').map((field) => {
      const at = field.indexOf('=');
      return [field.slice(0, at), field.slice(at + 1)] as const;
    }));
    lines.push(`  ${fields.get('name') ?? ''}`);
    if (fields.has('profile')) lines.push(`   Profile: ${fields.get('profile')}`);
  }
  return lines;
}

export function renderInfo(info: Info, host: string): string {
  const { version } = buildInfo();
  const lines = ['Client:', ` Version:    ${version}`, ` Context:    default`, ` Debug Mode: false`, '', 'Server:'];
  lines.push(
    ` Containers: ${info.Containers ?? 0}`,
    `  Running: ${info.ContainersRunning ?? 0}`,
    `  Paused: ${info.ContainersPaused ?? 0}`,
    `  Stopped: ${info.ContainersStopped ?? 0}`,
    ` Images: ${info.Images ?? 0}`,
    ` Server Version: ${value(info, 'ServerVersion')}`,
    ` Storage Driver: ${value(info, 'Driver')}`,
  );
  for (const [k, v] of info.DriverStatus ?? []) lines.push(`  ${k}: ${v}`);
  lines.push(
    ` Logging Driver: ${value(info, 'LoggingDriver')}`,
    ` Cgroup Driver: ${value(info, 'CgroupDriver')}`,
    ` Cgroup Version: ${value(info, 'CgroupVersion')}`,
    ` Runtimes: ${Object.keys(info.Runtimes ?? {}).join(' ')}`,
    ` Default Runtime: ${value(info, 'DefaultRuntime')}`,
  );
  lines.push(...securityOptionLines(info.SecurityOptions ?? []));
  lines.push(
    ` Kernel Version: ${value(info, 'KernelVersion')}`,
    ` Operating System: ${value(info, 'OperatingSystem')}`,
    ` OSType: ${value(info, 'OSType')}`,
    ` Architecture: ${value(info, 'Architecture')}`,
    ` CPUs: ${value(info, 'NCPU')}`,
    ` Total Memory: ${info.MemTotal ? binarySize(info.MemTotal) : ''}`,
    ` Name: ${value(info, 'Name')}`,
    ` ID: ${value(info, 'ID')}`,
    ` Docker Root Dir: ${value(info, 'DockerRootDir')}`,
    ` Debug Mode: ${info.Debug === true}`,
    ` Daemon Endpoint: ${host}`,
    ` Experimental: ${info.ExperimentalBuild === true}`,
    ` Live Restore Enabled: ${info.LiveRestoreEnabled === true}`,
  );
  let out = `${lines.join('\n')}\n`;
  const warnings = info.Warnings ?? [];
  if (warnings.length) out += `\n${warnings.join('\n')}\n`;
  return out;
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .usage('[OPTIONS]')
    .option('-f, --format <string>', "Format output using a custom template: 'json', or a Go template")
    .action(async (opts: { format?: string }) => {
      const info = await ctx.client.json<Info>('GET', '/info');
      if (opts.format) {
        const format = opts.format === 'json' ? '{{json .}}' : opts.format;
        try {
          process.stdout.write(`${parseTemplate(format).execute(info)}\n`);
        } catch (error) {
          throw new CliError(`template parsing error: ${(error as Error).message}`);
        }
        return;
      }
      process.stdout.write(renderInfo(info, ctx.host));
    });
};
