/** berth create: create a container and print its id. */
import type { DefineCommand } from '../context.js';
import { addCreateOptions, type CreateFlags } from './create-options.js';
import { createContainer } from './create-container.js';

export const define: DefineCommand = (cmd, ctx) => {
  addCreateOptions(cmd, false).action(async (image: string, command: string[], flags: CreateFlags) => {
    const id = await createContainer(ctx, flags, image, command, 'create');
    process.stdout.write(`${id}\n`);
  });
};
