/**
 * A Go text/template evaluator for the subset docker users write in --format:
 * fields, variables, pipelines, if/else/with/range, comments, whitespace trim,
 * Go's builtins (and, or, not, len, index, slice, eq..ge, print, printf, println)
 * and docker's extra functions (json, split, join, title, lower, upper, pad, truncate).
 * Values print the way Go's fmt prints decoded JSON: maps as map[k:v], slices as [a b],
 * a missing value as <no value>.
 */

/** Objects carrying this key behave like Go structs: an unknown field is an error naming the type. */
export const TEMPLATE_TYPE = Symbol('template type');

/**
 * A function under this key gives fields that `json` writes differently from how a template reads
 * them, as some of docker's contexts have a MarshalJSON of their own (search's IsOfficial is
 * "[OK]" in a template, "true" in JSON).
 */
export const JSON_FIELDS = Symbol('json fields');

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Value = unknown;

interface Pos {
  offset: number;
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; list: Node[]; elseList: Node[] | undefined }
  | { kind: 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] | undefined }
  | { kind: 'break' | 'continue' };

interface Pipeline {
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
  source: string;
}

interface Command extends Pos {
  args: Operand[];
  source: string;
}

type Operand =
  | ({ kind: 'field'; names: string[]; source: string } & Pos)
  | ({ kind: 'dot'; source: string } & Pos)
  | ({ kind: 'variable'; name: string; names: string[]; source: string } & Pos)
  | ({ kind: 'identifier'; name: string; source: string } & Pos)
  | ({ kind: 'literal'; value: Value; source: string } & Pos)
  | ({ kind: 'pipe'; pipe: Pipeline; names: string[]; source: string } & Pos);

// ---------------------------------------------------------------- lexing

type Token =
  | { t: 'text'; text: string }
  | { t: 'action'; body: string; offset: number };

function splitActions(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNextText) text = text.replace(/^\s+/, '');
    trimNextText = false;
    if (open < 0) {
      if (text) tokens.push({ t: 'text', text });
      break;
    }
    let bodyStart = open + 2;
    if (/^-[ \t\r\n]/.test(src.slice(bodyStart, bodyStart + 2))) {
      text = text.replace(/\s+$/, '');
      bodyStart += 1;
    }
    if (text) tokens.push({ t: 'text', text });
    const close = findClose(src, bodyStart);
    if (close < 0) throw new TemplateError(`template: :${lineOf(src, open)}: unclosed action`);
    let bodyEnd = close;
    if (/[ \t\r\n]-$/.test(src.slice(close - 2, close))) {
      bodyEnd = close - 1;
      trimNextText = true;
    }
    tokens.push({ t: 'action', body: src.slice(bodyStart, bodyEnd), offset: bodyStart });
    i = close + 2;
  }
  return tokens;
}

/** The index of the `}}` closing an action, skipping quoted strings. */
function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === '`' || c === "'") {
      const end = c === '`' ? src.indexOf('`', i + 1) : skipQuoted(src, i);
      if (end < 0) return -1;
      i = end + 1;
      continue;
    }
    if (c === '}' && src[i + 1] === '}') return i;
    i++;
  }
  return -1;
}

function skipQuoted(src: string, start: number): number {
  const q = src[start];
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === q) return i;
    else if (src[i] === '\n') return -1;
  }
  return -1;
}

function lineOf(src: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < src.length; i++) if (src[i] === '\n') line++;
  return line;
}

type Lex =
  | { k: 'field'; v: string; at: number } // ".A.B" or "."
  | { k: 'var'; v: string; at: number } // "$x" or "$x.A.B"
  | { k: 'ident'; v: string; at: number }
  | { k: 'string' | 'number' | 'bool' | 'nil' | 'char'; v: Value; raw: string; at: number }
  | { k: '(' | ')' | '|' | ',' | ':=' | '=' | 'chain'; v: string; at: number };

function lexAction(body: string, base: number, src: string): Lex[] {
  const out: Lex[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new TemplateError(`template: :${lineOf(src, base + i)}: ${msg}`);
  };
  while (i < body.length) {
    const c = body[i]!;
    const at = base + i;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '|' || c === ',') {
      out.push({ k: c, v: c, at });
      i++;
      continue;
    }
    if (c === ':' && body[i + 1] === '=') {
      out.push({ k: ':=', v: ':=', at });
      i += 2;
      continue;
    }
    if (c === '=') {
      out.push({ k: '=', v: '=', at });
      i++;
      continue;
    }
    if (c === '"') {
      const end = skipQuoted(body, i);
      if (end < 0) fail('unterminated quoted string');
      const raw = body.slice(i, end + 1);
      out.push({ k: 'string', v: unquote(raw), raw, at });
      i = end + 1;
      continue;
    }
    if (c === '`') {
      const end = body.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw quoted string');
      const raw = body.slice(i, end + 1);
      out.push({ k: 'string', v: raw.slice(1, -1), raw, at });
      i = end + 1;
      continue;
    }
    if (c === "'") {
      const end = skipQuoted(body, i);
      if (end < 0) fail('unterminated character constant');
      const raw = body.slice(i, end + 1);
      const ch = unquote(`"${raw.slice(1, -1)}"`);
      out.push({ k: 'char', v: ch.codePointAt(0) ?? 0, raw, at });
      i = end + 1;
      continue;
    }
    const fieldMatch = /^(\.[A-Za-z_][A-Za-z0-9_]*)+|^\./.exec(body.slice(i));
    if (fieldMatch) {
      // A field right after ")" chains onto the parenthesized value: (index .X 0).Name
      const prev = out[out.length - 1];
      const kind = prev?.k === ')' && at === prev.at + 1 && fieldMatch[0] !== '.' ? 'chain' : 'field';
      out.push({ k: kind, v: fieldMatch[0], at });
      i += fieldMatch[0].length;
      continue;
    }
    const varMatch = /^\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(body.slice(i));
    if (varMatch) {
      out.push({ k: 'var', v: varMatch[0], at });
      i += varMatch[0].length;
      continue;
    }
    const numMatch = /^[-+]?(0[xX][0-9a-fA-F_]+|(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?)/.exec(body.slice(i));
    if (numMatch && /[\d]/.test(numMatch[0])) {
      const raw = numMatch[0];
      const n = Number(raw.replace(/_/g, ''));
      if (Number.isNaN(n)) fail(`bad number syntax: "${raw}"`);
      out.push({ k: 'number', v: n, raw, at });
      i += raw.length;
      continue;
    }
    const identMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i));
    if (identMatch) {
      const word = identMatch[0];
      if (word === 'true' || word === 'false') out.push({ k: 'bool', v: word === 'true', raw: word, at });
      else if (word === 'nil') out.push({ k: 'nil', v: null, raw: word, at });
      else out.push({ k: 'ident', v: word, at });
      i += word.length;
      continue;
    }
    fail(`unexpected "${c}" in command`);
  }
  return out;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as string;
  } catch {
    throw new TemplateError(`template: :1: invalid syntax: ${raw}`);
  }
}

// ---------------------------------------------------------------- parsing

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(private readonly src: string) {
    this.tokens = splitActions(src);
  }

  parse(): Node[] {
    const { list, end } = this.parseList();
    if (end) this.fail(end.offset, `unexpected {{${end.word}}}`);
    return list;
  }

  private fail(offset: number, msg: string): never {
    throw new TemplateError(`template: :${lineOf(this.src, offset)}: ${msg}`);
  }

  /** Parses nodes until {{end}} or {{else}} (returned) or the end of input. */
  private parseList(): { list: Node[]; end: { word: 'end' | 'else'; rest: Lex[]; offset: number } | undefined } {
    const list: Node[] = [];
    while (this.pos < this.tokens.length) {
      const tok = this.tokens[this.pos++]!;
      if (tok.t === 'text') {
        list.push({ kind: 'text', text: tok.text });
        continue;
      }
      if (/^\s*\/\*[\s\S]*\*\/\s*$/.test(tok.body)) continue;
      const lex = lexAction(tok.body, tok.offset, this.src);
      if (lex.length === 0) this.fail(tok.offset, 'missing value for command');
      const first = lex[0]!;
      const word = first.k === 'ident' && KEYWORDS.has(first.v) ? first.v : undefined;
      switch (word) {
        case 'end':
        case 'else':
          return { list, end: { word, rest: lex.slice(1), offset: tok.offset } };
        case 'if':
        case 'with':
        case 'range':
          list.push(this.parseControl(word, lex.slice(1), tok.offset));
          break;
        case 'break':
        case 'continue':
          list.push({ kind: word });
          break;
        case 'define':
        case 'template':
        case 'block':
          this.fail(tok.offset, `{{${word}}} is not supported`);
          break;
        default:
          list.push({ kind: 'action', pipe: this.parsePipeline(lex, tok.offset, true) });
      }
    }
    return { list, end: undefined };
  }

  private parseControl(word: 'if' | 'with' | 'range', lex: Lex[], offset: number): Node {
    const pipe = this.parsePipeline(lex, offset, word === 'range');
    if (pipe.cmds.length === 0) this.fail(offset, `missing value for ${word}`);
    const body = this.parseList();
    if (!body.end) this.fail(offset, `unexpected EOF`);
    let elseList: Node[] | undefined;
    if (body.end.word === 'else') {
      const rest = body.end.rest;
      const chained = rest[0]?.k === 'ident' && (rest[0].v === 'if' || rest[0].v === 'with') ? rest[0].v : undefined;
      if (chained && word !== 'range') {
        // {{else if ...}} is {{else}}{{if ...}}...{{end}} sharing the outer {{end}}
        elseList = [this.parseControl(chained as 'if' | 'with', rest.slice(1), body.end.offset)];
      } else {
        if (rest.length > 0) this.fail(body.end.offset, 'unexpected tokens after else');
        const elseBody = this.parseList();
        if (!elseBody.end || elseBody.end.word !== 'end') this.fail(offset, `expected end; found ${elseBody.end ? 'else' : 'EOF'}`);
        elseList = elseBody.list;
      }
    }
    return word === 'range' ? { kind: 'range', pipe, list: body.list, elseList } : { kind: word, pipe, list: body.list, elseList };
  }

  private parsePipeline(lex: Lex[], offset: number, allowDecl: boolean): Pipeline {
    let decl: string[] = [];
    let isAssign = false;
    let i = 0;
    const declEnd = lex.findIndex((l) => l.k === ':=' || l.k === '=');
    if (declEnd > 0 && lex.slice(0, declEnd).every((l, idx) => (idx % 2 === 0 ? l.k === 'var' && !l.v.includes('.') : l.k === ','))) {
      decl = lex.slice(0, declEnd).filter((l) => l.k === 'var').map((l) => l.v);
      isAssign = lex[declEnd]!.k === '=';
      if (decl.length > 2 || (decl.length === 2 && !allowDecl)) this.fail(offset, 'too many declarations in command');
      i = declEnd + 1;
    }
    const cmds: Command[] = [];
    let current: Operand[] = [];
    let cmdStart = i < lex.length ? lex[i]!.at : offset;
    const flush = () => {
      if (current.length === 0) this.fail(offset, 'missing value for command');
      cmds.push({ args: current, offset: cmdStart, source: current.map((a) => a.source).join(' ') });
      current = [];
    };
    while (i < lex.length) {
      const l = lex[i]!;
      if (l.k === '|') {
        flush();
        i++;
        cmdStart = lex[i]?.at ?? l.at;
        continue;
      }
      const [operand, next] = this.parseOperand(lex, i, offset);
      current.push(operand);
      i = next;
    }
    if (current.length > 0 || cmds.length > 0) flush();
    const source = cmds.map((c) => c.source).join(' | ');
    return { decl, isAssign, cmds, source };
  }

  private parseOperand(lex: Lex[], i: number, offset: number): [Operand, number] {
    const l = lex[i]!;
    switch (l.k) {
      case 'field':
        return l.v === '.'
          ? [{ kind: 'dot', source: '.', offset: l.at }, i + 1]
          : [{ kind: 'field', names: l.v.slice(1).split('.'), source: l.v, offset: l.at }, i + 1];
      case 'var': {
        const [name, ...names] = l.v.split('.');
        return [{ kind: 'variable', name: name!, names, source: l.v, offset: l.at }, i + 1];
      }
      case 'ident':
        if (KEYWORDS.has(l.v)) this.fail(l.at, `unexpected <${l.v}> in command`);
        if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, l.v)) this.fail(l.at, `function "${l.v}" not defined`);
        return [{ kind: 'identifier', name: l.v, source: l.v, offset: l.at }, i + 1];
      case 'string':
      case 'number':
      case 'bool':
      case 'nil':
      case 'char':
        return [{ kind: 'literal', value: l.v, source: l.raw, offset: l.at }, i + 1];
      case '(': {
        let depth = 1;
        let j = i + 1;
        while (j < lex.length && depth > 0) {
          if (lex[j]!.k === '(') depth++;
          else if (lex[j]!.k === ')') depth--;
          j++;
        }
        if (depth !== 0) this.fail(l.at, 'unclosed left paren');
        const pipe = this.parsePipeline(lex.slice(i + 1, j - 1), l.at, false);
        let names: string[] = [];
        const chain = lex[j];
        if (chain?.k === 'chain') {
          names = chain.v.slice(1).split('.');
          j++;
        }
        const source = `(${pipe.source})${names.map((n) => '.' + n).join('')}`;
        return [{ kind: 'pipe', pipe, names, source, offset: l.at }, j];
      }
      default:
        return this.fail(offset, `unexpected "${l.v}" in operand`);
    }
  }
}

// ---------------------------------------------------------------- values

export function isTruthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return (v as object)[TEMPLATE_TYPE as keyof object] !== undefined || Object.keys(v).length > 0;
  return true;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's fmt %v for a value nested in a map or slice. */
function formatInner(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  return formatValue(v);
}

/** Go's fmt %v of a decoded-JSON value. */
export function formatValue(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatInner).join(' ')}]`;
  if (typeof v === 'object') {
    const obj = plainFields(v as Record<string, unknown>);
    if ((v as Record<symbol, unknown>)[TEMPLATE_TYPE] !== undefined) return `{${Object.values(obj).map(formatInner).join(' ')}}`;
    const keys = Object.keys(obj).sort();
    return `map[${keys.map((k) => `${k}:${formatInner(obj[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** The fields of an object with its zero-argument methods evaluated (how docker marshals its contexts). */
function plainFields(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // docker marshals its contexts through a map, so their keys come out sorted
  const entries = Object.entries(o);
  if ((o as Record<symbol, unknown>)[TEMPLATE_TYPE] !== undefined) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, val] of entries) {
    if (typeof val === 'function') {
      if (val.length === 0) out[k] = (val as () => unknown).call(o);
    } else out[k] = val;
  }
  return out;
}

function toJson(v: Value): string {
  const replacer = (_k: string, val: unknown) => {
    if (val === null || typeof val !== 'object' || Array.isArray(val)) return val;
    const fields = plainFields(val as Record<string, unknown>);
    const overrides = (val as Record<symbol, unknown>)[JSON_FIELDS];
    return typeof overrides === 'function' ? { ...fields, ...(overrides as () => Record<string, unknown>)() } : fields;
  };
  // Go's json.Marshal escapes HTML-significant characters
  const text = JSON.stringify(v === undefined ? null : v, replacer) ?? 'null';
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function typeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object') {
    const t = (v as Record<symbol, unknown>)[TEMPLATE_TYPE];
    return typeof t === 'string' ? t : 'map[string]interface {}';
  }
  return typeof v;
}

// ---------------------------------------------------------------- printf

function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/.exec(format.slice(i + 1));
    if (!m) {
      out += '%!(NOVERB)';
      continue;
    }
    i += m[0].length;
    const [, flags = '', widthStr, precStr, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    const prec = precStr === undefined ? undefined : Number(precStr);
    let s: string;
    switch (verb) {
      case 'v':
      case 's':
        s = arg === undefined || arg === null ? (verb === 's' ? '%!s(<nil>)' : '<nil>') : formatValue(arg);
        if (prec !== undefined) s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = goQuote(typeof arg === 'string' ? arg : formatValue(arg));
        break;
      case 'd':
        s = typeof arg === 'number' ? Math.trunc(arg).toFixed(0) : `%!d(${typeName(arg)}=${formatValue(arg)})`;
        if (flags.includes('+') && typeof arg === 'number' && arg >= 0) s = '+' + s;
        break;
      case 'f':
      case 'F':
        s = typeof arg === 'number' ? arg.toFixed(prec ?? 6) : `%!f(${typeName(arg)}=${formatValue(arg)})`;
        break;
      case 'x':
      case 'X':
        s =
          typeof arg === 'number'
            ? Math.trunc(arg).toString(16)
            : Buffer.from(typeof arg === 'string' ? arg : formatValue(arg)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 't':
        s = typeof arg === 'boolean' ? String(arg) : `%!t(${typeName(arg)}=${formatValue(arg)})`;
        break;
      default:
        s = `%!${verb}(${typeName(arg)}=${formatValue(arg)})`;
    }
    const width = widthStr === undefined ? 0 : Number(widthStr);
    const len = [...s].length;
    if (len < width) {
      const pad = (flags.includes('0') && !flags.includes('-') ? '0' : ' ').repeat(width - len);
      s = flags.includes('-') ? s + ' '.repeat(width - len) : pad + s;
    }
    out += s;
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(a)}=${formatValue(a)}`).join(', ')})`;
  return out;
}

// ---------------------------------------------------------------- functions

type Fn = (args: Value[]) => Value;

function asString(v: Value, fn: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`wrong type for value; expected string; got ${typeName(v)} in call to ${fn}`);
}

function compareBasic(a: Value, b: Value, fn: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean' && (fn === 'eq' || fn === 'ne')) return a === b ? 0 : 1;
  if ((a === null || a === undefined) && (b === null || b === undefined) && (fn === 'eq' || fn === 'ne')) return 0;
  if (fn === 'eq' || fn === 'ne') {
    if (typeof a !== typeof b) throw new Error('incompatible types for comparison');
    throw new Error('invalid type for comparison');
  }
  throw new Error('invalid type for comparison');
}

function indexValue(item: Value, keys: Value[]): Value {
  let v = item;
  for (const key of keys) {
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key)) throw new Error(`cannot index slice/array with type ${typeName(key)}`);
      if (key < 0 || key >= v.length) throw new Error(`error calling index: index out of range: ${key}`);
      v = typeof v === 'string' ? Buffer.from(v)[key] : v[key];
    } else if (v !== null && typeof v === 'object') {
      v = (v as Record<string, unknown>)[String(key)];
    } else if (v === undefined || v === null) {
      throw new Error('error calling index: index of untyped nil');
    } else {
      throw new Error(`error calling index: can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

function goTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

/** fmt.Sprint: a space between operands when neither side is a string. */
function sprint(args: Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += a === undefined || a === null ? '<nil>' : formatValue(a);
  });
  return out;
}

const FUNCTIONS: Record<string, Fn> = {
  and: (args) => args.find((a) => !isTruthy(a)) ?? args[args.length - 1],
  or: (args) => args.find((a) => isTruthy(a)) ?? args[args.length - 1],
  not: ([a]) => !isTruthy(a),
  len: ([a]) => {
    if (typeof a === 'string') return Buffer.byteLength(a);
    if (Array.isArray(a)) return a.length;
    if (a !== null && typeof a === 'object') return Object.keys(a).length;
    throw new Error(`error calling len: len of type ${typeName(a)}`);
  },
  index: ([item, ...keys]) => indexValue(item, keys),
  slice: ([item, ...idx]) => {
    if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`error calling slice: can't slice item of type ${typeName(item)}`);
    const seq: string | unknown[] = item;
    const [from = 0, to = seq.length] = idx as number[];
    if (from < 0 || to > seq.length || from > to) throw new Error(`error calling slice: index out of range: ${to}`);
    return seq.slice(from, to);
  },
  eq: ([a, ...rest]) => rest.some((b) => compareBasic(a, b, 'eq') === 0),
  ne: ([a, b]) => compareBasic(a, b, 'ne') !== 0,
  lt: ([a, b]) => compareBasic(a, b, 'lt') < 0,
  le: ([a, b]) => compareBasic(a, b, 'le') <= 0,
  gt: ([a, b]) => compareBasic(a, b, 'gt') > 0,
  ge: ([a, b]) => compareBasic(a, b, 'ge') >= 0,
  print: (args) => sprint(args),
  println: (args) => args.map((a) => (a === undefined || a === null ? '<nil>' : formatValue(a))).join(' ') + '\n',
  printf: ([fmt, ...args]) => sprintf(asString(fmt, 'printf'), args),
  json: ([a]) => toJson(a),
  split: ([s, sep]) => {
    const str = asString(s, 'split');
    const by = asString(sep, 'split');
    return by === '' ? [...str] : str.split(by);
  },
  join: ([list, sep]) => {
    if (!Array.isArray(list)) throw new Error(`wrong type for value; expected []string; got ${typeName(list)}`);
    return list.map((e) => formatValue(e)).join(asString(sep, 'join'));
  },
  title: ([s]) => goTitle(asString(s, 'title')),
  lower: ([s]) => asString(s, 'lower').toLowerCase(),
  upper: ([s]) => asString(s, 'upper').toUpperCase(),
  pad: ([s, left, right]) => ' '.repeat(Number(left)) + asString(s, 'pad') + ' '.repeat(Number(right)),
  truncate: ([s, n]) => {
    const str = asString(s, 'truncate');
    return Buffer.byteLength(str) < Number(n) ? str : str.slice(0, Number(n));
  },
};

// ---------------------------------------------------------------- execution

class Break {}
class Continue {}

class Executor {
  private out = '';
  private vars: Array<[string, Value]> = [];

  constructor(private readonly src: string, root: Value) {
    this.vars.push(['$', root]);
  }

  run(nodes: Node[], dot: Value): string {
    this.walkList(nodes, dot);
    return this.out;
  }

  private fail(pos: number, node: string, msg: string): never {
    const line = lineOf(this.src, pos);
    const col = pos - (this.src.lastIndexOf('\n', pos - 1) + 1);
    throw new TemplateError(`template: :${line}:${col}: executing "" at <${node}>: ${msg}`);
  }

  private walkList(nodes: Node[], dot: Value): void {
    for (const n of nodes) this.walk(n, dot);
  }

  private walk(n: Node, dot: Value): void {
    switch (n.kind) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.out += formatValue(v);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, n.pipe);
        if (isTruthy(v)) this.walkList(n.list, n.kind === 'with' ? v : dot);
        else if (n.elseList) this.walkList(n.elseList, dot);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(n, dot);
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private walkRange(n: Extract<Node, { kind: 'range' }>, dot: Value): void {
    const mark = this.vars.length;
    const decl = n.pipe.decl;
    const v = this.evalPipeline(dot, { ...n.pipe, decl: [] });
    let entries: Array<[Value, Value]>;
    if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v !== null && typeof v === 'object') {
      const obj = plainFields(v as Record<string, unknown>);
      entries = Object.keys(obj).sort().map((k) => [k, obj[k]]);
    } else if (v === undefined || v === null) entries = [];
    else return this.fail(n.pipe.cmds[0]?.offset ?? 0, n.pipe.source, `range can't iterate over ${formatValue(v)}`);
    if (entries.length === 0) {
      if (n.elseList) this.walkList(n.elseList, dot);
      this.vars.length = mark;
      return;
    }
    for (const [key, elem] of entries) {
      const iterMark = this.vars.length;
      if (decl.length === 1) this.vars.push([decl[0]!, elem]);
      if (decl.length === 2) this.vars.push([decl[0]!, key], [decl[1]!, elem]);
      try {
        this.walkList(n.list, elem);
      } catch (e) {
        if (e instanceof Break) {
          this.vars.length = iterMark;
          break;
        }
        if (!(e instanceof Continue)) throw e;
      }
      this.vars.length = iterMark;
    }
    this.vars.length = mark;
  }

  private lookupVar(name: string, pos: number): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]![0] === name) return this.vars[i]![1];
    return this.fail(pos, name, `undefined variable: ${name}`);
  }

  private setVar(name: string, value: Value, declare: boolean, pos: number): void {
    if (declare) {
      this.vars.push([name, value]);
      return;
    }
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]![0] === name) {
        this.vars[i]![1] = value;
        return;
      }
    }
    this.fail(pos, name, `undefined variable: ${name}`);
  }

  private evalPipeline(dot: Value, pipe: Pipeline): Value {
    let value: Value;
    let hasFinal = false;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, hasFinal ? [value] : []);
      hasFinal = true;
    }
    for (const name of pipe.decl) this.setVar(name, value, !pipe.isAssign, pipe.cmds[0]?.offset ?? 0);
    return value;
  }

  private evalCommand(dot: Value, cmd: Command, final: Value[]): Value {
    const [first, ...rest] = cmd.args;
    if (!first) return undefined;
    const evalArgs = () => [...rest.map((a) => this.evalArg(dot, a)), ...final];
    switch (first.kind) {
      case 'identifier': {
        const fn = FUNCTIONS[first.name];
        if (!fn) throw new TemplateError(`template: :${lineOf(this.src, first.offset)}: function "${first.name}" not defined`);
        const args = evalArgs();
        try {
          return fn(args);
        } catch (e) {
          const msg = (e as Error).message;
          return this.fail(cmd.offset, cmd.source, msg.startsWith('error calling') ? msg : `error calling ${first.name}: ${msg}`);
        }
      }
      case 'field':
        return this.evalFieldChain(dot, dot, first.names, first.source, first.offset, evalArgs());
      case 'variable': {
        const base = this.lookupVar(first.name, first.offset);
        if (first.names.length === 0) {
          if (rest.length > 0 || final.length > 0) this.fail(first.offset, first.source, `can't give argument to non-function ${first.source}`);
          return base;
        }
        return this.evalFieldChain(dot, base, first.names, first.source, first.offset, evalArgs());
      }
      case 'pipe': {
        const base = this.evalPipeline(dot, first.pipe);
        if (first.names.length === 0) {
          if (rest.length > 0 || final.length > 0) this.fail(first.offset, first.source, `can't give argument to non-function ${first.source}`);
          return base;
        }
        return this.evalFieldChain(dot, base, first.names, first.source, first.offset, evalArgs());
      }
      default:
        if (rest.length > 0 || final.length > 0) this.fail(first.offset, first.source, `can't give argument to non-function ${first.source}`);
        return this.evalArg(dot, first);
    }
  }

  private evalArg(dot: Value, a: Operand): Value {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return a.value;
      case 'field':
        return this.evalFieldChain(dot, dot, a.names, a.source, a.offset, []);
      case 'variable': {
        const base = this.lookupVar(a.name, a.offset);
        return a.names.length ? this.evalFieldChain(dot, base, a.names, a.source, a.offset, []) : base;
      }
      case 'pipe': {
        const base = this.evalPipeline(dot, a.pipe);
        return a.names.length ? this.evalFieldChain(dot, base, a.names, a.source, a.offset, []) : base;
      }
      case 'identifier': {
        const fn = FUNCTIONS[a.name];
        if (!fn) throw new TemplateError(`template: :${lineOf(this.src, a.offset)}: function "${a.name}" not defined`);
        return fn([]);
      }
    }
  }

  private evalFieldChain(_dot: Value, receiver: Value, names: string[], source: string, pos: number, args: Value[]): Value {
    let v = receiver;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      v = this.evalField(v, name, last ? args : [], source, pos);
    });
    return v;
  }

  private evalField(receiver: Value, name: string, args: Value[], source: string, pos: number): Value {
    if (receiver === undefined || receiver === null) return this.fail(pos, source, `nil pointer evaluating interface {}.${name}`);
    if (typeof receiver !== 'object' || Array.isArray(receiver)) {
      return this.fail(pos, source, `can't evaluate field ${name} in type ${typeName(receiver)}`);
    }
    const obj = receiver as Record<string | symbol, unknown>;
    const structType = obj[TEMPLATE_TYPE];
    if (!Object.prototype.hasOwnProperty.call(obj, name) && !(typeof structType === 'string' && name in obj)) {
      if (typeof structType === 'string') return this.fail(pos, source, `can't evaluate field ${name} in type ${structType}`);
      if (looksLikeStruct(obj)) return this.fail(pos, source, `map has no entry for key "${name}"`);
      if (args.length > 0) return this.fail(pos, source, `${name} is not a method but has arguments`);
      return undefined;
    }
    const field = obj[name];
    if (typeof field === 'function') {
      try {
        return (field as (...a: Value[]) => Value).apply(obj, args);
      } catch (e) {
        return this.fail(pos, source, `error calling ${name}: ${(e as Error).message}`);
      }
    }
    if (args.length > 0) return this.fail(pos, source, `${name} has arguments but cannot be invoked as function`);
    return field;
  }
}

/**
 * Docker evaluates inspect templates against typed structs, where an unknown field is an error but
 * a missing key of a map field (Labels, Options, ...) prints <no value>. Decoded JSON has no types,
 * so an object whose keys are all Go-style exported names stands in for a struct.
 */
function looksLikeStruct(obj: Record<string, unknown>): boolean {
  const keys = Object.keys(obj);
  return keys.length > 0 && keys.every((k) => /^[A-Z][A-Za-z0-9]*$/.test(k));
}

export interface Template {
  /** Renders the template for one value; throws TemplateError like Go's Execute. */
  execute(data: Value): string;
}

/** Parses a Go template; throws TemplateError (docker prints it after "template parsing error: "). */
export function parseTemplate(src: string): Template {
  const nodes = new Parser(src).parse();
  return {
    execute: (data: Value) => new Executor(src, data).run(nodes, data),
  };
}
