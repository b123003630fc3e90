/**
 * Parsers for the values of docker's run/create flags. Each throws FlagError (or a plain Error
 * whose message docker puts after the flag name) with docker's wording.
 */
import { FlagError, invalidFlagValue } from '../errors.js';
import { parseRamSize } from '../format/units.js';
import { fs } from '../node-builtins.js';

/** A size flag such as -m/--memory: "128m" -> 134217728. */
export function parseSizeFlag(value: string, flag: string): number {
  try {
    return parseRamSize(value);
  } catch (error) {
    throw invalidFlagValue(value, flag, (error as Error).message);
  }
}

/** An integer flag, with Go's strconv error text. */
export function parseIntFlag(value: string, flag: string): number {
  if (!/^[-+]?\d+$/.test(value.trim())) {
    throw invalidFlagValue(value, flag, `strconv.ParseInt: parsing "${value}": invalid syntax`);
  }
  return Number.parseInt(value, 10);
}

/** --cpus "1.5" -> 1500000000 nano CPUs (must be exact, like docker's big.Rat parsing). */
export function parseNanoCpus(value: string): number {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) {
    throw invalidFlagValue(value, '--cpus', `failed to parse ${value} as a rational number`);
  }
  const fraction = m[2] ?? '';
  if (fraction.replace(/0+$/, '').length > 9) throw invalidFlagValue(value, '--cpus', 'value is too precise');
  return Number(m[1] || '0') * 1e9 + Number((fraction + '000000000').slice(0, 9));
}

/** -e VAR=value, or -e VAR taking the value from this process's environment (kept bare when unset, as docker does). */
export function resolveEnvEntry(entry: string, env: NodeJS.ProcessEnv): string {
  if (entry.includes('=')) {
    if (entry.startsWith('=')) throw new FlagError(`invalid environment variable: ${entry}`);
    return entry;
  }
  const value = env[entry];
  return value === undefined ? entry : `${entry}=${value}`;
}

/**
 * docker's --env-file format: one VAR=value per line taken literally (no quotes or expansion),
 * blank lines and lines starting with # skipped, a bare VAR taken from the environment or dropped.
 */
export function parseEnvFileContent(content: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.replace(/^[\s]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (name === '') throw new FlagError(`no variable name on line '${line}'`);
    if (/\s/.test(name)) throw new FlagError(`variable '${name}' contains whitespaces`);
    if (eq >= 0) out.push(`${name}=${line.slice(eq + 1)}`);
    else if (env[name] !== undefined) out.push(`${name}=${env[name]}`);
  }
  return out;
}

export function readEnvFile(path: string, env: NodeJS.ProcessEnv): string[] {
  return parseEnvFileContent(readFlagFile(path), env);
}

/** docker's --label-file: a label per line, blank lines and # comments skipped. */
export function readLabelFile(path: string): string[] {
  return readFlagFile(path).split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
}

/** A file a flag names, or docker's error for it. */
function readFlagFile(path: string): string {
  try {
    return fs().readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FlagError(`open ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
  }
}

/** key=value flag values as the API's map; a value without a key is `refused`'s error. */
export function keyValueMap(values: string[], refused: (value: string) => Error): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw refused(value);
    map[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return map;
}

/** -l key=value or -l key (empty value). */
export function parseLabels(entries: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq === 0) throw new FlagError(`invalid label '${entry}': empty name`);
    if (eq < 0) labels[entry] = '';
    else labels[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return labels;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

function parsePortRange(spec: string, what: string, original: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] !== undefined ? Number(m[2]) : start;
  if (!m || start < 1 || end > 65535 || end < start) throw new FlagError(`invalid ${what}: ${what === 'containerPort' ? spec || original : spec}`);
  return [start, end];
}

/** -p [ip:][hostPort:]containerPort[/proto], ranges allowed: adds to the bindings and exposed ports. */
export function parsePublish(
  spec: string,
  bindings: Record<string, PortBinding[]>,
  exposed: Record<string, Record<string, never>>,
): void {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new FlagError(`invalid proto: ${proto}`);
  }
  let ip = '';
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (v6) {
    ip = v6[1]!;
    rest = v6[2]!;
  }
  const parts = rest.split(':');
  if (!v6 && parts.length > 3) throw new FlagError(`invalid port specification: "${spec}"`);
  const containerPart = parts.pop()!;
  const hostPart = parts.length ? parts.pop()! : '';
  if (!v6 && parts.length) ip = parts.pop()!;
  const [cStart, cEnd] = parsePortRange(containerPart, 'containerPort', spec);
  const hostRange = hostPart === '' ? undefined : parsePortRange(hostPart, 'hostPort', spec);
  const count = cEnd - cStart + 1;
  if (hostRange && count > 1 && hostRange[1] - hostRange[0] + 1 !== count) {
    throw new FlagError(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }
  for (let i = 0; i < count; i++) {
    const key = `${cStart + i}/${proto}`;
    let hostPort = '';
    if (hostRange) {
      hostPort = count > 1 ? String(hostRange[0] + i) : hostRange[0] === hostRange[1] ? String(hostRange[0]) : `${hostRange[0]}-${hostRange[1]}`;
    }
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
  }
}

/** --expose 80 or 8000-8010/udp. */
export function parseExpose(spec: string, exposed: Record<string, Record<string, never>>): void {
  const [range, proto = 'tcp'] = spec.split('/');
  const [start, end] = parsePortRange(range ?? '', 'containerPort', spec);
  for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] = {};
}

export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

export function parseRestart(value: string): RestartPolicy {
  const [name = '', count] = value.split(':');
  switch (name) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== undefined) throw new FlagError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
      return { Name: name, MaximumRetryCount: 0 };
    case 'on-failure': {
      if (count !== undefined && !/^\d+$/.test(count)) throw new FlagError(`invalid restart policy format: maximum retry count must be an integer`);
      return { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
    }
    case '':
      return { Name: 'no', MaximumRetryCount: 0 };
    default:
      throw new FlagError(`invalid restart policy format: unknown policy '${name}'`);
  }
}

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

export function parseUlimit(value: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (!m) throw invalidFlagValue(value, '--ulimit', `invalid ulimit argument: ${value}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard && hard !== -1) throw invalidFlagValue(value, '--ulimit', `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: m[1]!, Hard: hard, Soft: soft };
}

/** --add-host name:ip (docker also accepts name=ip). */
export function parseAddHost(value: string): string {
  const sep = value.includes('=') ? value.indexOf('=') : value.indexOf(':');
  if (sep <= 0 || sep === value.length - 1) throw invalidFlagValue(value, '--add-host', `bad format for add-host: "${value}"`);
  const host = value.slice(0, sep);
  const ip = value.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
  return `${host}:${ip}`;
}

/** --cap-add net_admin -> CAP_NET_ADMIN, as docker normalizes. */
export function normalizeCapability(cap: string): string {
  const upper = cap.toUpperCase();
  if (upper === 'ALL' || upper.startsWith('CAP_')) return upper;
  return `CAP_${upper}`;
}

const GO_DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration ("1m30s", "1.5s", "500ms"), in nanoseconds, with its error text. */
export function parseGoDuration(value: string, flag: string): number {
  const invalid = () => invalidFlagValue(value, flag, `time: invalid duration "${value}"`);
  let rest = value.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!match) {
      if (/^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)) throw invalidFlagValue(value, flag, `time: missing unit in duration "${value}"`);
      throw invalid();
    }
    total += Number(match[1]) * GO_DURATION_UNITS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return sign * Math.round(total);
}
