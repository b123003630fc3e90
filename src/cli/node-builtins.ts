/**
 * Node's built-ins the CLI needs on its hot paths, loaded with require(). An ESM
 * import of node:fs, node:http or node:child_process makes Node evaluate every
 * export getter of the module (fs streams and readline, the bundled undici for
 * http, util's ~3 ms), which costs 10-20 ms of each command's start for things never used.
 */
import type * as Fs from 'node:fs';
import type * as Http from 'node:http';
import type * as ChildProcess from 'node:child_process';
import type * as Util from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const fs = (): typeof Fs => require('node:fs') as typeof Fs;
export const http = (): typeof Http => require('node:http') as typeof Http;
export const childProcess = (): typeof ChildProcess => require('node:child_process') as typeof ChildProcess;
export const util = (): typeof Util => require('node:util') as typeof Util;
