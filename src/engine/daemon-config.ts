import { readFile } from 'node:fs/promises';
import { errnoCode, invalidArgument } from '../common/errors.js';

/** berthd's settings: /etc/berth/daemon.json with docker's key names where they apply, then flags. */
export interface DaemonConfig {
  'data-root': string;
  'exec-root': string;
  hosts: string[];
  'default-runtime': string;
  runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  /** Repair the hybrid cgroup layout crun refuses (see runtime/cgroup-layout.ts). */
  'fix-cgroup-layout': boolean;
  /** Registries reached over https without certificate checks, then http (names or CIDRs). */
  'insecure-registries': string[];
  /** Docker Hub mirrors, tried in order before Docker Hub itself. */
  'registry-mirrors': string[];
  'max-concurrent-downloads': number;
  'max-concurrent-uploads': number;
  'max-download-attempts': number;
}

export const DEFAULT_SOCKET = '/run/berth/berth.sock';
export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

export function defaultDaemonConfig(): DaemonConfig {
  return {
    'data-root': '/var/lib/berth',
    'exec-root': '/run/berth',
    hosts: [`unix://${DEFAULT_SOCKET}`],
    'default-runtime': 'crun',
    runtimes: { crun: { path: '/usr/bin/crun' }, runc: { path: '/usr/sbin/runc' } },
    'fix-cgroup-layout': true,
    'insecure-registries': [],
    'registry-mirrors': [],
    'max-concurrent-downloads': 3,
    'max-concurrent-uploads': 5,
    'max-download-attempts': 5,
  };
}

const KNOWN_KEYS = new Set(Object.keys(defaultDaemonConfig()));

export async function loadDaemonConfig(path: string, required: boolean): Promise<DaemonConfig> {
  const config = defaultDaemonConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && !required) return config;
    throw error;
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw invalidArgument(`unable to configure the berth daemon with file ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument(`unable to configure the berth daemon with file ${path}: the file must hold a JSON object`);
  }
  for (const key of Object.keys(parsed)) {
    if (!KNOWN_KEYS.has(key)) throw invalidArgument(`the following directives don't match any configuration option: ${key}`);
  }
  for (const key of ['insecure-registries', 'registry-mirrors'] as const) {
    const value = parsed[key];
    if (value !== undefined && (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))) {
      throw invalidArgument(`unable to configure the berth daemon with file ${path}: ${key} must be a list of strings`);
    }
  }
  for (const key of ['max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts'] as const) {
    const value = parsed[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)) {
      throw invalidArgument(`unable to configure the berth daemon with file ${path}: invalid ${key} value: ${JSON.stringify(value)}`);
    }
  }
  const runtimes = { ...config.runtimes, ...((parsed.runtimes as DaemonConfig['runtimes'] | undefined) ?? {}) };
  return { ...config, ...parsed, runtimes } as DaemonConfig;
}
