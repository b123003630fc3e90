/**
 * The docker CLI's config file (--config DIR, else $DOCKER_CONFIG, else ~/.docker; the file is
 * config.json in it), which berth reads and writes so that `berth login` and `docker login` share
 * credentials. Writing keeps every key berth does not manage, is atomic (temporary sibling, fsync,
 * rename), follows a symlinked file to its target and keeps the file's mode and owner as docker
 * does; a new file is 0600 in a 0700 directory.
 */
import { chmod, chown, mkdir, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError } from './errors.js';

/** One `auths` entry as the file holds it: `auth` is base64("user:password"). */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  email?: string;
  identitytoken?: string;
  registrytoken?: string;
  [key: string]: unknown;
}

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export interface ConfigFile {
  path: string;
  config: DockerConfig;
}

export function configDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.DOCKER_CONFIG || join(homedir(), '.docker');
}

/**
 * Reads config.json; a missing file is an empty config. A file that is not a JSON object throws,
 * so that nothing is written over it.
 */
export async function readConfigFile(dir: string): Promise<ConfigFile> {
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, config: {} };
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
  let config: unknown;
  try {
    config = text.trim() ? JSON.parse(text) : {};
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new CliError(`${path}: not a JSON object`);
  return { path, config: config as DockerConfig };
}

/**
 * The config for reading credentials only (pull, push, run): a broken file is warned about, as
 * docker does, and treated as empty.
 */
export async function loadConfigForReading(dir: string): Promise<DockerConfig> {
  try {
    return (await readConfigFile(dir)).config;
  } catch (error) {
    process.stderr.write(`WARNING: Error loading config file: ${(error as Error).message}\n`);
    return {};
  }
}

export async function writeConfigFile(file: ConfigFile): Promise<void> {
  let target = file.path;
  try {
    target = await realpath(file.path);
  } catch {
    // not there yet
  }
  const dir = dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await stat(target).catch(() => undefined);
  const temporary = join(dir, `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    // docker writes tab-indented JSON without a final newline
    await handle.writeFile(JSON.stringify(file.config, null, '\t'));
    if (existing) {
      await chmod(temporary, existing.mode & 0o7777);
      if (process.getuid?.() === 0) await chown(temporary, existing.uid, existing.gid);
    }
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}
