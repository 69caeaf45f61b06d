/**
 * Object-key templates: `backups/{hostname}/{mtime:yyyyMMdd}/{name}` → `backups/web1/20240131/a.tgz`.
 *
 * Placeholders (values for the file at relative path `photos/2024/IMG_1.jpg`):
 * - `{path}` `photos/2024/IMG_1.jpg`, `{dir}` `photos/2024` ('' at the top of the source
 *   directory), `{name}` `IMG_1.jpg`, `{stem}` `IMG_1`, `{ext}` `jpg` (no dot; '' without an
 *   extension). The extension is what follows the last '.', unless only dots precede it:
 *   `a.tar.gz` → `a.tar` + `gz`, `.bashrc` → `.bashrc` + '', `x.` → `x` + ''.
 * - `{mtime:FORMAT}` `{ctime:FORMAT}` `{now:FORMAT}`: times in UTC only (see date-format.ts);
 *   FORMAT is required.
 * - `{hostname}` `{job}` `{size}` (decimal bytes) `{uuid}` `{sha256}` `{md5}` (lowercase hex,
 *   computed by the caller when {@link templateNeeds} says so) `{env:NAME}` ('' when unset).
 * - `{{` and `}}` are literal braces.
 *
 * Empty segments: a '/'-separated segment of the template that holds at least one placeholder
 * and renders to '' is dropped together with its '/'. So `{dir}/{name}` renders `a.txt` (not
 * `/a.txt`) for a top-level file and `x/y/a.txt` for `x/y/a.txt`; `logs/{env:ZONE}/{name}`
 * renders `logs/a.txt` when ZONE is unset. Empty segments written literally (`a//b`) stay.
 *
 * Keys must be 1-1,024 bytes of valid UTF-8 (S3's limit), must not start with '/', and must not
 * have a '.' or '..' segment (consoles, SDK path handling and `aws s3 sync` resolve them as
 * relative paths). {@link checkKeyTemplate} refuses at config time every template that breaks
 * these rules for every file, or for files where a placeholder that can be empty ({dir}, {ext},
 * {env:NAME}) is empty; {@link renderKey} checks the actual key of each file.
 */
import { checkDateFormat, formatDate, isFormattableTime } from './date-format.js';
import {
  checkKey,
  LONE_SURROGATE,
  MAX_KEY_BYTES,
  shapeProblem,
  show,
  utf8Length,
  type Problem,
} from './object-key-rules.js';

export { checkKey, MAX_KEY_BYTES } from './object-key-rules.js';

/** Every placeholder name a template may use. */
// prettier-ignore
export const KEY_PLACEHOLDERS = [
  'path', 'dir', 'name', 'stem', 'ext', 'mtime', 'ctime', 'now',
  'hostname', 'job', 'sha256', 'md5', 'size', 'uuid', 'env',
] as const;
/** One of {@link KEY_PLACEHOLDERS}. */
export type KeyPlaceholder = (typeof KEY_PLACEHOLDERS)[number];

/** What a template is rendered from, for one file. Times are ms since the epoch. */
export interface KeyVars {
  /** Path relative to the source directory, '/'-separated, no leading '/' or './'. */
  readonly path: string;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly nowMs: number;
  readonly hostname: string;
  readonly job: string;
  /** Bytes. */
  readonly size: number;
  /** Lowercase hex; required when the template has {sha256}. */
  readonly sha256?: string;
  /** Lowercase hex; required when the template has {md5}. */
  readonly md5?: string;
  /** A random UUID (36 characters) for this upload. */
  readonly uuid: string;
  /** Environment for {env:NAME}; only own properties count (never Object.prototype's). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

type TimeName = 'mtime' | 'ctime' | 'now';
type PlainName = Exclude<KeyPlaceholder, TimeName | 'env'>;
type Field =
  | { readonly kind: 'plain'; readonly name: PlainName }
  | { readonly kind: 'time'; readonly name: TimeName; readonly format: string }
  | { readonly kind: 'env'; readonly name: string };
type Segment = readonly (string | Field)[];

const TIME_NAMES: ReadonlySet<string> = new Set<TimeName>(['mtime', 'ctime', 'now']);
const PLAIN_NAMES: ReadonlySet<string> = new Set(
  KEY_PLACEHOLDERS.filter((n) => n !== 'env' && !TIME_NAMES.has(n)),
);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Minimum lengths of the fixed-width plain placeholders (for the config-time length bound). */
const MIN_LENGTH: Partial<Record<PlainName, number>> = { sha256: 64, md5: 32, uuid: 36 };

function parseField(body: string): Field | string {
  const colon = body.indexOf(':');
  const name = colon < 0 ? body : body.slice(0, colon);
  const arg = colon < 0 ? undefined : body.slice(colon + 1);
  if (PLAIN_NAMES.has(name)) {
    return arg === undefined
      ? { kind: 'plain', name: name as PlainName }
      : `{${name}} takes no ':'`;
  }
  if (TIME_NAMES.has(name)) {
    if (arg === undefined || arg === '') return `{${name}} needs a format, e.g. {${name}:yyyyMMdd}`;
    const bad = checkDateFormat(arg);
    if (bad !== undefined) return `{${body}} has a bad format: ${bad}`;
    return { kind: 'time', name: name as TimeName, format: arg };
  }
  if (name === 'env') {
    if (arg === undefined || !ENV_NAME.test(arg)) {
      return `{${body}} needs an environment variable name, e.g. {env:REGION}`;
    }
    return { kind: 'env', name: arg };
  }
  const known = KEY_PLACEHOLDERS.map((n) => `{${n}}`).join(' ');
  return `unknown placeholder {${body}}; known: ${known}`;
}

/** Splits a template into '/'-separated segments of text and fields, or returns why it can't. */
function parse(template: string): Segment[] | string {
  const segments: (string | Field)[][] = [[]];
  let text = '';
  const flush = (): void => {
    if (text !== '') segments[segments.length - 1]?.push(text);
    text = '';
  };
  for (let i = 0; i < template.length; i += 1) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i += 1;
    } else if (c === '}') {
      return `'}' at position ${i + 1} has no matching '{' (write '}}' for a literal brace)`;
    } else if (c === '{') {
      const close = template.indexOf('}', i + 1);
      const open = template.indexOf('{', i + 1);
      if (close < 0 || (open >= 0 && open < close)) {
        return `'{' at position ${i + 1} is not closed (write '{{' for a literal brace)`;
      }
      const field = parseField(template.slice(i + 1, close));
      if (typeof field === 'string') return field;
      flush();
      segments[segments.length - 1]?.push(field);
      i = close;
    } else if (c === '/') {
      flush();
      segments.push([]);
    } else text += c ?? '';
  }
  flush();
  return segments;
}

/** Joins rendered segments, dropping those that hold a placeholder and rendered empty. */
function render(
  segments: readonly Segment[],
  valueOf: (field: Field) => string | { error: string },
): { text: string } | { error: string } {
  const kept: string[] = [];
  for (const segment of segments) {
    let out = '';
    let hasField = false;
    for (const piece of segment) {
      if (typeof piece === 'string') out += piece;
      else {
        hasField = true;
        const value = valueOf(piece);
        if (typeof value !== 'string') return value;
        out += value;
      }
    }
    if (!hasField || out !== '') kept.push(out);
  }
  return { text: kept.join('/') };
}

const fieldId = (f: Field): string => (f.kind === 'env' ? `env:${f.name}` : f.name);
const canBeEmpty = (f: Field): boolean =>
  f.kind === 'env' || (f.kind === 'plain' && (f.name === 'dir' || f.name === 'ext'));

function condition(id: string): string {
  if (id === 'dir') return 'a file sits at the top of its source directory';
  if (id === 'ext') return 'a file name has no extension';
  return `${id.slice('env:'.length)} is unset or empty`;
}

const PROBLEM_TEXT: Readonly<Record<Problem, string>> = {
  empty: 'an empty key',
  slash: "a key starting with '/' (S3 keys must not; the prefix already ends with '/')",
  dot: "a key with a '%' segment (tools resolve '.' and '..' as relative paths)",
};

/** Renders with every field in `filled` non-empty and every other empty-able field empty. */
function probe(segments: readonly Segment[], filled: ReadonlySet<string>): string {
  const out = render(segments, (f) => {
    if (f.kind === 'time') return formatDate(0, f.format);
    if (canBeEmpty(f)) return filled.has(fieldId(f)) ? 'x' : '';
    return 'x'.repeat(f.kind === 'plain' ? (MIN_LENGTH[f.name] ?? 1) : 1);
  });
  return 'text' in out ? out.text : '';
}

/**
 * Config-time check of a key template (with the destination prefix, '' or ending in '/', that
 * will precede it): the reason it is refused, or undefined. Refuses an empty template, unknown
 * placeholders, unbalanced braces, bad FORMATs and {env:} names; templates whose keys always
 * start with '/', always have a '.' or '..' segment, or always exceed 1,024 bytes; and templates
 * that do so, or render an empty key, when {dir}, {ext} or {env:NAME} is empty, e.g.
 * "the template '{env:X}' can produce an empty key when X is unset or empty". Whatever depends on
 * the values themselves (a file name, an env value of '..') is checked per file by
 * {@link renderKey}.
 */
export function checkKeyTemplate(template: string, prefix = ''): string | undefined {
  if (template === '') return "the key template is empty; '{path}' keeps the relative path";
  const parsed = parse(template);
  if (typeof parsed === 'string') return `the template '${template}': ${parsed}`;
  if (LONE_SURROGATE.test(template)) {
    return `the template '${template}' contains a lone UTF-16 surrogate, which has no UTF-8 form`;
  }
  const emptyable = [
    ...new Set(
      parsed.flat().flatMap((p) => (typeof p !== 'string' && canBeEmpty(p) ? [fieldId(p)] : [])),
    ),
  ];
  const minimal = probe(parsed, new Set());
  const found = shapeProblem(minimal);
  if (found !== undefined) {
    const what = PROBLEM_TEXT[found.problem].replace('%', found.segment ?? '');
    const causes = emptyable.filter(
      (id) => shapeProblem(probe(parsed, new Set([id])))?.problem !== found.problem,
    );
    if (causes.length > 0) {
      return `the template '${template}' can produce ${what} when ${causes.map(condition).join(' and ')}`;
    }
    // No single empty placeholder is to blame: either several are, each on its own, or none is.
    return shapeProblem(probe(parsed, new Set(emptyable)))?.problem === found.problem
      ? `the template '${template}' always produces ${what}`
      : `the template '${template}' can produce ${what} when ${emptyable.map(condition).join(' or ')}`;
  }
  const bytes = utf8Length(prefix + minimal);
  if (bytes > MAX_KEY_BYTES) {
    return `the template '${show(template)}' renders at least ${bytes} bytes (prefix included); S3 keys are at most ${MAX_KEY_BYTES}`;
  }
  return undefined;
}

/** Which hashes the caller must compute before {@link renderKey} (false for invalid templates). */
export function templateNeeds(template: string): { sha256: boolean; md5: boolean } {
  const parsed = parse(template);
  const names =
    typeof parsed === 'string'
      ? []
      : parsed.flat().map((p) => (typeof p === 'string' ? '' : p.name));
  return { sha256: names.includes('sha256'), md5: names.includes('md5') };
}

type PathParts = Readonly<Record<'dir' | 'name' | 'stem' | 'ext', string>>;

function splitPath(path: string): PathParts {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const hasExt = dot > 0 && !/^\.+$/.test(name.slice(0, dot));
  return {
    dir: slash < 0 ? '' : path.slice(0, slash),
    name,
    stem: hasExt ? name.slice(0, dot) : name,
    ext: hasExt ? name.slice(dot + 1) : '',
  };
}

function fieldValue(f: Field, vars: KeyVars, path: PathParts): string | { error: string } {
  if (f.kind === 'env') return Object.hasOwn(vars.env, f.name) ? (vars.env[f.name] ?? '') : '';
  if (f.kind === 'time') {
    const ms = f.name === 'mtime' ? vars.mtimeMs : f.name === 'ctime' ? vars.ctimeMs : vars.nowMs;
    if (!isFormattableTime(ms)) return { error: `{${f.name}} is ${ms} ms, not a date` };
    return formatDate(ms, f.format);
  }
  const { hostname, job, uuid, sha256, md5 } = vars;
  const values = { ...path, path: vars.path, hostname, job, uuid, size: String(vars.size) };
  const value = f.name === 'sha256' ? sha256 : f.name === 'md5' ? md5 : values[f.name];
  return value ?? { error: `{${f.name}} needs the file's ${f.name}, which was not computed` };
}

/**
 * Renders the key of one file: `prefix` (the destination prefix, '' or ending in '/') followed by
 * the rendered template, then checked with {@link checkKey} (the rendered part alone must also be
 * non-empty and not start with '/'). Never throws: an invalid template, a missing hash or an
 * invalid key is returned as `{ error }`, a sentence naming the file and the reason, for the
 * caller to park the file with.
 */
export function renderKey(
  template: string,
  vars: KeyVars,
  prefix = '',
): { key: string } | { error: string } {
  const parsed = parse(template);
  const fail = (why: string): { error: string } => ({
    error: `cannot make a key for '${show(vars.path)}': ${why}`,
  });
  if (typeof parsed === 'string') return fail(`the template '${template}': ${parsed}`);
  const parts = splitPath(vars.path);
  const out = render(parsed, (f) => fieldValue(f, vars, parts));
  if ('error' in out) return fail(out.error);
  if (out.text === '') return fail(`the template '${template}' renders an empty key`);
  const bad = checkKey(out.text) ?? checkKey(prefix + out.text);
  return bad === undefined ? { key: prefix + out.text } : fail(bad);
}
