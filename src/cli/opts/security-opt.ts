/**
 * --security-opt as the docker CLI sends it: checked for a value, and a seccomp profile
 * named by file replaced by the file's compacted JSON, since the daemon may not see the
 * client's files. Errors are plain Errors worded as docker's, which run and create print
 * as "berth: <message>".
 */
import { fs } from '../node-builtins.js';
import { pathErrorText } from '../path-error.js';

/** The built-in profile names the daemon knows; anything else names a file. */
const BUILT_IN_PROFILES = ['builtin', 'unconfined'];

function splitOption(option: string): { key: string; value: string } {
  let at = option.indexOf('=');
  if (at < 0 && option !== 'no-new-privileges') at = option.indexOf(':');
  return at < 0 ? { key: option, value: '' } : { key: option.slice(0, at), value: option.slice(at + 1) };
}

/** Go's json.Compact: whitespace outside strings dropped, every other byte kept, so big numbers stay exact. */
function compactJson(text: string): string {
  JSON.parse(text);
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (!' \t\n\r'.includes(char)) {
      out += char;
    }
  }
  return out;
}

function profileContent(path: string): string {
  let text: string;
  try {
    text = fs().readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`opening seccomp profile (${path}) failed: ${pathErrorText(error)}`);
  }
  try {
    return compactJson(text);
  } catch (error) {
    throw new Error(`compacting json for seccomp profile (${path}) failed: ${(error as Error).message}`);
  }
}

export function readSecurityOpts(options: string[]): string[] | null {
  if (options.length === 0) return null;
  return options.map((option) => {
    const { key, value } = splitOption(option);
    if (!value && key !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(option)}`);
    if (key !== 'seccomp' || BUILT_IN_PROFILES.includes(value)) return option;
    return `seccomp=${profileContent(value)}`;
  });
}
