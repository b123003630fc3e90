/**
 * Docker's seccomp profile format (the JSON of `--security-opt seccomp=FILE` and of
 * moby's profiles/seccomp/default.json) and its decoder. A profile is a template:
 * rules carry includes/excludes on capabilities, architectures and kernel versions,
 * resolved per container by evaluateSeccompProfile (seccomp.ts).
 */
import { invalidArgument } from '../common/errors.js';

export interface KernelVersion {
  kernel: number;
  major: number;
}

/** A condition on the container (all of caps must be held) or the host (arch, kernel at least). */
export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: KernelVersion;
}

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompRule {
  /** The older single-name spelling; a rule has either name or names. */
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompArchMapEntry {
  architecture: string;
  subArchitectures: string[];
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: SeccompArchMapEntry[];
  listenerPath?: string;
  listenerMetadata?: string;
  flags?: string[];
  syscalls?: SeccompRule[];
}

class DecodeError extends Error {}

type Json = unknown;

function jsonKind(value: Json): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value; // string, number, object
}

/**
 * The wording of Go's encoding/json, which clients see from dockerd for the same
 * mistakes: "cannot unmarshal array into Go struct field Seccomp.defaultAction of type string".
 */
function mismatch(value: Json, path: string, type: string): DecodeError {
  const what = typeof value === 'number' ? `number ${value}` : jsonKind(value);
  const target = path === 'Seccomp' ? 'Go value of type seccomp.Seccomp' : `Go struct field ${path} of type ${type}`;
  return new DecodeError(`json: cannot unmarshal ${what} into ${target}`);
}

/** Go matches a field exactly first, then case-insensitively; unknown fields are ignored, null leaves a field unset. */
function field(object: Record<string, Json>, name: string): Json {
  if (name in object) return object[name] ?? undefined;
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : (object[key] ?? undefined);
}

function asObject(value: Json, path: string, type: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw mismatch(value, path, type);
  return value as Record<string, Json>;
}

function optionalString(object: Record<string, Json>, name: string, path: string): string | undefined {
  const value = field(object, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw mismatch(value, `${path}.${name}`, 'string');
  return value;
}

/** Unsigned integers only as far as a JavaScript number holds them exactly. */
function optionalUint(object: Record<string, Json>, name: string, path: string, type: string): number | undefined {
  const value = field(object, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw mismatch(value, `${path}.${name}`, type);
  if (!Number.isSafeInteger(value)) {
    throw new DecodeError(`${path}.${name}: ${value} is larger than berth supports (${Number.MAX_SAFE_INTEGER})`);
  }
  return value;
}

function optionalList<T>(object: Record<string, Json>, name: string, path: string, type: string, item: (value: Json, path: string) => T): T[] | undefined {
  const value = field(object, name);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw mismatch(value, `${path}.${name}`, `[]${type}`);
  return value.map((entry) => item(entry, `${path}.${name}`));
}

function stringItem(value: Json, path: string): string {
  if (typeof value !== 'string') throw mismatch(value, path, 'string');
  return value;
}

/** moby's KernelVersion: "<kernel>.<major>", never 0.0. */
function kernelVersion(value: Json, path: string): KernelVersion | undefined {
  if (value === undefined) return undefined;
  const raw = JSON.stringify(value);
  const wrong = (reason?: string) =>
    new DecodeError(`invalid kernel version: ${raw}, expected "<kernel>.<major>"${reason ? `: ${reason}` : ''}`);
  if (typeof value !== 'string') throw wrong(mismatch(value, path, 'string').message);
  if (value === '') return undefined;
  const parts = value.split('.');
  if (parts.length !== 2) throw wrong();
  const [kernel, major] = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN)) as [number, number];
  if (!(kernel <= 255) || !(major <= 255)) throw wrong('invalid syntax');
  if (kernel === 0 && major === 0) throw wrong('version cannot be 0.0');
  return { kernel, major };
}

function filter(value: Json, path: string): SeccompFilter | undefined {
  if (value === undefined) return undefined;
  const object = asObject(value, path, 'seccomp.Filter');
  const caps = optionalList(object, 'caps', path, 'string', stringItem);
  const arches = optionalList(object, 'arches', path, 'string', stringItem);
  const minKernel = kernelVersion(field(object, 'minKernel'), `${path}.minKernel`);
  return { ...(caps ? { caps } : {}), ...(arches ? { arches } : {}), ...(minKernel ? { minKernel } : {}) };
}

function arg(value: Json, path: string): SeccompArg {
  const object = asObject(value, path, 'specs.LinuxSeccompArg');
  const valueTwo = optionalUint(object, 'valueTwo', path, 'uint64');
  return {
    index: optionalUint(object, 'index', path, 'uint') ?? 0,
    value: optionalUint(object, 'value', path, 'uint64') ?? 0,
    ...(valueTwo === undefined ? {} : { valueTwo }),
    op: optionalString(object, 'op', path) ?? '',
  };
}

function rule(value: Json, path: string): SeccompRule {
  const object = asObject(value, path, 'seccomp.Syscall');
  const name = optionalString(object, 'name', path);
  const names = optionalList(object, 'names', path, 'string', stringItem);
  const errnoRet = optionalUint(object, 'errnoRet', path, 'uint');
  const args = optionalList(object, 'args', path, 'specs.LinuxSeccompArg', arg);
  const includes = filter(field(object, 'includes'), `${path}.includes`);
  const excludes = filter(field(object, 'excludes'), `${path}.excludes`);
  return {
    ...(name ? { name } : {}),
    ...(names ? { names } : {}),
    action: optionalString(object, 'action', path) ?? '',
    ...(errnoRet === undefined ? {} : { errnoRet }),
    ...(args ? { args } : {}),
    ...(includes ? { includes } : {}),
    ...(excludes ? { excludes } : {}),
  };
}

function archMapEntry(value: Json, path: string): SeccompArchMapEntry {
  const object = asObject(value, path, 'seccomp.Architecture');
  return {
    architecture: optionalString(object, 'architecture', path) ?? '',
    subArchitectures: optionalList(object, 'subArchitectures', path, 'string', stringItem) ?? [],
  };
}

/**
 * Decodes a profile as dockerd does, with its error wording: "Decoding seccomp profile
 * failed: ..." for text that is not JSON or JSON of the wrong shape.
 */
export function decodeSeccompProfile(text: string): SeccompProfile {
  try {
    let parsed: Json;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new DecodeError((error as Error).message);
    }
    const object = asObject(parsed, 'Seccomp', 'seccomp.Seccomp');
    const path = 'Seccomp';
    const defaultErrnoRet = optionalUint(object, 'defaultErrnoRet', path, 'uint');
    const architectures = optionalList(object, 'architectures', path, 'specs.Arch', stringItem);
    const archMap = optionalList(object, 'archMap', path, 'seccomp.Architecture', archMapEntry);
    const listenerPath = optionalString(object, 'listenerPath', path);
    const listenerMetadata = optionalString(object, 'listenerMetadata', path);
    const flags = optionalList(object, 'flags', path, 'specs.LinuxSeccompFlag', stringItem);
    const syscalls = optionalList(object, 'syscalls', path, 'seccomp.Syscall', rule);
    return {
      defaultAction: optionalString(object, 'defaultAction', path) ?? '',
      ...(defaultErrnoRet === undefined ? {} : { defaultErrnoRet }),
      ...(architectures ? { architectures } : {}),
      ...(archMap ? { archMap } : {}),
      ...(listenerPath ? { listenerPath } : {}),
      ...(listenerMetadata ? { listenerMetadata } : {}),
      ...(flags ? { flags } : {}),
      ...(syscalls ? { syscalls } : {}),
    };
  } catch (error) {
    if (error instanceof DecodeError) throw invalidArgument(`Decoding seccomp profile failed: ${error.message}`);
    throw error;
  }
}
