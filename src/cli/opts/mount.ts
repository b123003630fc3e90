/**
 * `--mount type=...,source=...,target=...` as docker's CLI reads it (cli/opts/mount.go):
 * CSV fields of key=value, a few bare flags, volume by default; errors in its words,
 * which the caller puts after `invalid argument "..." for "--mount" flag:`.
 */
import { resolve } from 'node:path';
import { parseRamSize } from '../format/units.js';

export interface MountFlag {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** Go's encoding/csv for one record: commas split, double quotes group and "" escapes a quote. */
export function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  if (quoted) throw new Error(`parse error on line 1, column ${text.length + 1}: extraneous or missing " in quoted-field`);
  fields.push(field);
  return fields;
}

function parseBool(key: string, value: string): boolean {
  const lower = value.toLowerCase();
  if (['1', 't', 'true'].includes(lower)) return true;
  if (['0', 'f', 'false'].includes(lower)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

/** A source docker's CLI makes absolute: a relative path that starts with a dot. */
export function absoluteIfRelative(source: string): string {
  return !source.startsWith('/') && source.startsWith('.') ? resolve(source) : source;
}

export function parseMountFlag(value: string): MountFlag {
  const mount: MountFlag = { Type: 'volume' };
  const bindOptions = (): NonNullable<MountFlag['BindOptions']> => (mount.BindOptions ??= {});
  const volumeOptions = (): NonNullable<MountFlag['VolumeOptions']> => (mount.VolumeOptions ??= {});
  const tmpfsOptions = (): NonNullable<MountFlag['TmpfsOptions']> => (mount.TmpfsOptions ??= {});
  for (const field of splitCsv(value)) {
    const equals = field.indexOf('=');
    const key = (equals < 0 ? field : field.slice(0, equals)).toLowerCase();
    const text = equals < 0 ? '' : field.slice(equals + 1);
    if (equals < 0) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true;
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type':
        mount.Type = text.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = absoluteIfRelative(text);
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = text;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = parseBool(key, text);
        break;
      case 'consistency':
        mount.Consistency = text.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = text.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = parseBool(key, text);
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = parseBool(key, text);
        break;
      case 'volume-label': {
        const [labelKey, ...rest] = text.split('=');
        volumeOptions().Labels = { ...volumeOptions().Labels, [labelKey!]: rest.join('=') };
        break;
      }
      case 'volume-driver':
        volumeOptions().DriverConfig = { ...volumeOptions().DriverConfig, Name: text };
        break;
      case 'volume-opt': {
        const [optKey, ...rest] = text.split('=');
        const driver = (volumeOptions().DriverConfig ??= {});
        driver.Options = { ...driver.Options, [optKey!]: rest.join('=') };
        break;
      }
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = parseRamSize(text);
        } catch {
          throw new Error(`invalid value for ${key}: ${text}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(text)) throw new Error(`invalid value for ${key}: ${text}`);
        tmpfsOptions().Mode = Number.parseInt(text, 8);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (mount.Type === '') throw new Error('type is required');
  if (!mount.Target) throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  return mount;
}
