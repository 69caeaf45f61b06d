/**
 * A small glob matcher for '/'-separated relative paths and file names (no I/O).
 *
 * - `*` matches any run of characters except '/'; `?` one character (one code point) except '/'.
 * - `**` alone in a segment matches any number of segments: `a/**\/b` matches `a/b` and `a/x/y/b`;
 *   `**` at the end matches everything below. Elsewhere (`a**b`, `**.txt`) it is a plain `*`.
 * - `[abc]`, `[a-z]`, `[!abc]` / `[^abc]`; a `]` right after the opening (or after `!`) is literal;
 *   classes never match '/'. POSIX classes (`[[:alpha:]]`) are not supported.
 * - `{a,b}` alternatives, nested allowed (`{a,b{c,d}}`); `{a}` without a comma is literal.
 * - `\x` matches `x` literally. An unterminated `[` or `{` is literal.
 * - Dotfiles: unless `dot` is set, a wildcard (`*`, `?`, `**`, a negated class) never matches the
 *   leading '.' of a segment, so `*` does not match `.hidden` while `.*` does.
 * - Case-sensitive, whole-string match.
 *
 * Time: a glob is compiled to an automaton (RE2 syntax, run by re2js), never to a backtracking
 * RegExp: a match takes time linear in the subject's length, whatever the pattern. A backtracking
 * engine spends minutes on `*L*L*L*L*L*X` against a 250-character name (every way of placing five
 * `L`s is tried), and the event loop with it (issue 15, item 6).
 */
import { RE2JS } from 're2js';
import { AppError } from '../errors/app-error.js';

/** Options of {@link compileGlob}. */
export interface GlobOptions {
  /** Let wildcards match a leading '.' of a segment too (default false). */
  readonly dot?: boolean;
}

/** A compiled glob. */
export interface GlobMatcher {
  /** True when the whole of `subject` matches; linear in its length. */
  test(subject: string): boolean;
}

/** More `{a,b}` combinations than this in one pattern are refused (they grow exponentially). */
export const MAX_GLOB_ALTERNATIVES = 1024;

/** Thrown by the class compiler for a range whose ends are reversed (`[z-a]`). */
class BadClass extends Error {}

/**
 * Compiles a glob into a {@link GlobMatcher} that tests a whole '/'-separated path or name.
 * Throws AppError ERR_CONFIG_INVALID for a pattern {@link checkGlob} refuses.
 */
export function compileGlob(pattern: string, options: GlobOptions = {}): GlobMatcher {
  const error = checkGlob(pattern);
  if (error !== undefined) throw new AppError('ERR_CONFIG_INVALID', error);
  const re = RE2JS.compile(toRe2(pattern, options.dot ?? false));
  return { test: (subject) => re.testExact(subject) };
}

/**
 * Config-time check of a glob: returns a message naming the problem, or undefined when it is
 * usable. Refuses the empty pattern, a character class that is not a valid range (`[z-a]`), and
 * more than {@link MAX_GLOB_ALTERNATIVES} brace combinations.
 */
export function checkGlob(pattern: string): string | undefined {
  if (pattern === '') return 'the glob is empty';
  const alternatives = expandBraces(pattern);
  if (alternatives === undefined) {
    return `the glob '${pattern}' expands to more than ${MAX_GLOB_ALTERNATIVES} alternatives`;
  }
  try {
    toRe2(pattern, false);
  } catch (err) {
    if (!(err instanceof BadClass)) throw err;
    return `the glob '${pattern}' has an invalid character class (${err.message})`;
  }
  return undefined;
}

/** The RE2 source of a glob: the alternatives of its braces, each compiled on its own. */
function toRe2(pattern: string, dot: boolean): string {
  const alternatives = expandBraces(pattern) ?? [pattern];
  const sources = [...new Set(alternatives)].map((alt) => compileOne(alt, dot));
  return `(?:${sources.join('|')})`;
}

/** Index of the ']' closing the class opened at `open`, or -1 when it is not a class. */
function classEnd(p: string, open: number): number {
  let j = open + 1;
  if (p[j] === '!' || p[j] === '^') j += 1;
  if (p[j] === ']') j += 1;
  for (; j < p.length; j += 1) {
    if (p[j] === '\\') j += 1;
    else if (p[j] === ']') return j;
  }
  return -1;
}

/** Index of the '}' matching the '{' at `open` and the top-level commas between, or undefined. */
function braceSpan(p: string, open: number): { close: number; commas: number[] } | undefined {
  const commas: number[] = [];
  let depth = 0;
  for (let j = open + 1; j < p.length; j += 1) {
    const c = p[j];
    if (c === '\\') j += 1;
    else if (c === '[') j = Math.max(j, classEnd(p, j));
    else if (c === '{') depth += 1;
    else if (c === '}') {
      if (depth === 0) return { close: j, commas };
      depth -= 1;
    } else if (c === ',' && depth === 0) commas.push(j);
  }
  return undefined;
}

/** Expands the first `{a,b}` group recursively; undefined beyond MAX_GLOB_ALTERNATIVES. */
function expandBraces(p: string): string[] | undefined {
  for (let i = 0; i < p.length; i += 1) {
    const c = p[i];
    if (c === '\\') i += 1;
    else if (c === '[') i = Math.max(i, classEnd(p, i));
    else if (c === '{') {
      const span = braceSpan(p, i);
      if (span === undefined || span.commas.length === 0) continue;
      const bounds = [i, ...span.commas, span.close];
      const out: string[] = [];
      for (let k = 0; k + 1 < bounds.length; k += 1) {
        const alt = p.slice((bounds[k] ?? 0) + 1, bounds[k + 1]);
        const expanded = expandBraces(p.slice(0, i) + alt + p.slice(span.close + 1));
        if (expanded === undefined) return undefined;
        out.push(...expanded);
        if (out.length > MAX_GLOB_ALTERNATIVES) return undefined;
      }
      return out;
    }
  }
  return [p];
}

/** One character of a segment: anything but '/', and not a leading '.' when guarded. */
const ANY = '[^/]';
const ANY_NO_DOT = '[^/.]';

/** RE2 source for a brace-free glob. RE2 has no lookahead: the dot guard is a narrower class. */
function compileOne(p: string, dot: boolean): string {
  const first = dot ? ANY : ANY_NO_DOT;
  let re = '';
  let segmentStart = true;
  for (let i = 0; i < p.length; i += 1) {
    const c = p[i] ?? '';
    if (c === '/') {
      re += '/';
      segmentStart = true;
      continue;
    }
    if (c === '*') {
      let run = 1;
      while (p[i + run] === '*') run += 1;
      const next = p[i + run];
      i += run - 1;
      if (run >= 2 && segmentStart && next === '/') {
        re += `(?:${first}${ANY}*/)*`;
        i += 1; // the '/' is consumed: the next segment starts here too
        continue;
      }
      if (run >= 2 && segmentStart && next === undefined) {
        re += `${first}${ANY}*(?:/${first}${ANY}*)*`;
        continue;
      }
      re += segmentStart && !dot ? `(?:${first}${ANY}*)?` : `${ANY}*`;
    } else if (c === '?') {
      re += segmentStart ? first : ANY;
    } else if (c === '[' && classEnd(p, i) > i) {
      const end = classEnd(p, i);
      re += compileClass(p.slice(i + 1, end), segmentStart && !dot);
      i = end;
    } else if (c === '\\' && i + 1 < p.length) {
      const cp = p.codePointAt(i + 1) ?? 0;
      re += literal(cp);
      i += cp > 0xffff ? 2 : 1;
    } else {
      const cp = p.codePointAt(i) ?? 0;
      re += literal(cp);
      if (cp > 0xffff) i += 1;
    }
    segmentStart = false;
  }
  return re;
}

const SLASH = 0x2f;
const DOT = 0x2e;

/** A class body (between the brackets) as RE2 source that never matches '/'. */
function compileClass(body: string, guardDot: boolean): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const ranges = toRanges(classMembers(body.slice(negated ? 1 : 0)));
  if (negated) {
    // never '/', and no leading '.' when guarded (only negated classes get the guard: a positive
    // class with an explicit '.' is meant to match dots)
    const extra: Range[] = [[SLASH, SLASH], ...(guardDot ? [[DOT, DOT] as const] : [])];
    return `[^${[...extra, ...ranges].map(rangeSource).join('')}]`;
  }
  const allowed = ranges.flatMap(([lo, hi]) => withoutSlash(lo, hi));
  // a class of nothing but '/' matches nothing
  return allowed.length === 0 ? '[^\\x{0}-\\x{10FFFF}]' : `[${allowed.map(rangeSource).join('')}]`;
}

type Range = readonly [number, number];

/** One member of a class: a code point, and whether it was escaped (`\-` is never a range). */
interface Member {
  readonly cp: number;
  readonly escaped: boolean;
}

function classMembers(body: string): Member[] {
  const out: Member[] = [];
  for (let i = 0; i < body.length;) {
    const escaped = body[i] === '\\' && i + 1 < body.length;
    if (escaped) i += 1;
    const cp = body.codePointAt(i) ?? 0;
    out.push({ cp, escaped });
    i += cp > 0xffff ? 2 : 1;
  }
  return out;
}

const DASH = 0x2d;

/** Members and `a-z` ranges of a class; throws BadClass for a reversed range. */
function toRanges(members: readonly Member[]): Range[] {
  const out: Range[] = [];
  for (let i = 0; i < members.length; i += 1) {
    const lo = members[i]?.cp ?? 0;
    const dash = members[i + 1];
    const end = members[i + 2];
    if (dash !== undefined && dash.cp === DASH && !dash.escaped && end !== undefined) {
      if (end.cp < lo) throw new BadClass(`range out of order: ${cp(lo)}-${cp(end.cp)}`);
      out.push([lo, end.cp]);
      i += 2;
    } else out.push([lo, lo]);
  }
  return out;
}

function withoutSlash(lo: number, hi: number): Range[] {
  if (hi < SLASH || lo > SLASH) return [[lo, hi]];
  const out: Range[] = [];
  if (lo < SLASH) out.push([lo, SLASH - 1]);
  if (hi > SLASH) out.push([SLASH + 1, hi]);
  return out;
}

function rangeSource([lo, hi]: Range): string {
  return lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`;
}

function hex(codePoint: number): string {
  return `\\x{${codePoint.toString(16)}}`;
}

function cp(codePoint: number): string {
  return String.fromCodePoint(codePoint);
}

/** A literal character: letters and digits as they are, anything else by its code point. */
function literal(codePoint: number): string {
  const c = String.fromCodePoint(codePoint);
  return /^[A-Za-z0-9_]$/.test(c) ? c : hex(codePoint);
}
