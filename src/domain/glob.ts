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
 */
import { AppError } from '../errors/app-error.js';

/** Options of {@link globToRegExp}. */
export interface GlobOptions {
  /** Let wildcards match a leading '.' of a segment too (default false). */
  readonly dot?: boolean;
}

/** More `{a,b}` combinations than this in one pattern are refused (they grow exponentially). */
export const MAX_GLOB_ALTERNATIVES = 1024;

/**
 * Compiles a glob into an anchored RegExp (flag `u`) that tests a whole '/'-separated path or
 * name. Throws AppError ERR_CONFIG_INVALID for a pattern {@link checkGlob} refuses.
 */
export function globToRegExp(pattern: string, options: GlobOptions = {}): RegExp {
  const error = checkGlob(pattern);
  if (error !== undefined) throw new AppError('ERR_CONFIG_INVALID', error);
  return compile(pattern, options.dot ?? false);
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
    compile(pattern, false);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `the glob '${pattern}' has an invalid character class (${why})`;
  }
  return undefined;
}

function compile(pattern: string, dot: boolean): RegExp {
  const alternatives = expandBraces(pattern) ?? [pattern];
  const sources = [...new Set(alternatives)].map((alt) => compileOne(alt, dot));
  return new RegExp(`^(?:${sources.join('|')})$`, 'u');
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

const NO_DOT = '(?!\\.)';

/** Regex source for a brace-free glob. */
function compileOne(p: string, dot: boolean): string {
  const guard = dot ? '' : NO_DOT;
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
        re += `(?:${guard}[^/]+/)*`;
        i += 1; // the '/' is consumed: the next segment starts here too
        continue;
      }
      if (run >= 2 && segmentStart && next === undefined) {
        re += `${guard}[^/]+(?:/${guard}[^/]+)*`;
        continue;
      }
      re += `${segmentStart ? guard : ''}[^/]*`;
    } else if (c === '?') {
      re += `${segmentStart ? guard : ''}[^/]`;
    } else if (c === '[' && classEnd(p, i) > i) {
      const end = classEnd(p, i);
      re += compileClass(p.slice(i + 1, end), segmentStart ? guard : '');
      i = end;
    } else if (c === '\\' && i + 1 < p.length) {
      i += 1;
      re += escapeChar(p[i] ?? '');
    } else {
      re += escapeChar(c);
    }
    segmentStart = false;
  }
  return re;
}

function compileClass(body: string, guard: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  let inner = '';
  for (let i = negated ? 1 : 0; i < body.length; i += 1) {
    let c = body[i] ?? '';
    if (c === '\\' && i + 1 < body.length) {
      i += 1;
      c = body[i] ?? '';
      inner += c === '-' ? '\\-' : escapeClassChar(c);
    } else inner += escapeClassChar(c);
  }
  // A positive class with an explicit '.' is meant to match dots, so only negated ones get the guard.
  return negated ? `${guard}[^/${inner}]` : `(?!/)[${inner}]`;
}

function escapeClassChar(c: string): string {
  return /[\\\]^[]/.test(c) ? `\\${c}` : c;
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
