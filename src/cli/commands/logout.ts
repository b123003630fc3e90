/**
 * berth logout [SERVER]: removes the credentials kept for a registry (Docker Hub when none is
 * given) from the docker config file or its credential helper, as `docker logout` does. Like
 * docker, it succeeds when nothing was stored.
 */
import type { DefineCommand } from '../context.js';
import { eraseCredentials } from '../credential-store.js';
import { configDir, readConfigFile } from '../docker-config.js';
import { INDEX_SERVER, convertToHostname } from '../registry-auth.js';

/** Where credentials for `server` may be kept: as given, and the forms older clients saved them under. */
function logoutAddresses(server: string | undefined): { shown: string; addresses: string[] } {
  if (!server) return { shown: INDEX_SERVER, addresses: [INDEX_SERVER] };
  const host = convertToHostname(server);
  return { shown: host, addresses: [...new Set([server, host, `http://${host}`, `https://${host}`])] };
}

export const define: DefineCommand = (cmd, ctx) => {
  cmd
    .argument('[server]')
    .usage('[SERVER]')
    .description('Log out from a registry.\nIf no server is specified, the default is defined by the daemon.')
    .action(async (server: string | undefined) => {
      const { shown, addresses } = logoutAddresses(server);
      process.stdout.write(`Removing login credentials for ${shown}\n`);
      const failures = await eraseCredentials(await readConfigFile(configDir(ctx.configDirFlag)), addresses);
      // removing any one of them is success
      if (failures.length === addresses.length) {
        process.stderr.write('WARNING: could not erase credentials:\n');
        for (const [address, reason] of failures) process.stderr.write(`${address}: ${reason}\n`);
      }
    });
};
