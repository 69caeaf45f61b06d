/**
 * Regular expressions from the configuration (include/exclude filters), run by a linear-time
 * engine (re2js, a port of RE2) instead of V8's backtracking one.
 *
 * Why: a filter runs on every file name or relative path, in the event loop. With backtracking,
 * a pattern such as `(a+)+$` or `.*x.*x.*x.*y` takes exponential or high-polynomial time on a
 * name that almost matches, and the whole agent (API, uploads, SIGTERM) waits for it. RE2 runs
 * in time linear in the subject for any pattern (issue 15, item 6).
 *
 * The syntax stays JavaScript's: a pattern must be a valid JavaScript RegExp (so the messages for
 * typos are V8's), and is translated to RE2 (`\u00e9`, `(?<name>…)`). Lookbehind is supported
 * (re2js runs it in linear time). Lookahead (`(?=`, `(?!`) and backreferences (`\1`, `\k<n>`)
 * cannot run in linear time: such a pattern is refused with a message that names it and the fix.
 */
import { RE2JS } from 're2js';

/** A compiled filter expression. */
export interface LinearRegex {
  /** True when the expression matches anywhere in `subject` (unanchored, like RegExp.test). */
  test(subject: string): boolean;
}

/**
 * The first construct of `source` that only a backtracking engine runs, named for the message:
 * a lookahead or a backreference outside a character class (escapes skipped).
 */
function backtrackingConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    const next = source[i + 1] ?? '';
    if (c === '\\') {
      if (!inClass && /[1-9]/.test(next)) return `a backreference (\\${next})`;
      if (!inClass && next === 'k' && source[i + 2] === '<')
        return 'a named backreference (\\k<…>)';
      i += 1;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (!inClass && c === '(' && next === '?' && /[=!]/.test(source[i + 2] ?? ''))
      return `a lookahead ((?${source[i + 2] ?? ''})`;
  }
  return undefined;
}

/**
 * Why `source` cannot be a filter, or undefined: not valid JavaScript syntax (V8's reason), or
 * a construct that only a backtracking engine runs (named, with the fix).
 */
export function checkRegex(source: string): string | undefined {
  try {
    new RegExp(source);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // V8 says "Invalid regular expression: /SOURCE/: REASON"; the caller names the source.
    const at = message.lastIndexOf('/: ');
    return `invalid regular expression: ${at === -1 ? message : message.slice(at + 3)}`;
  }
  const head = `the regular expression '${source}' cannot be used:`;
  const why =
    'filters run on a linear-time engine (RE2) so that no pattern can stall the agent, and it';
  const construct = backtrackingConstruct(source);
  if (construct !== undefined)
    return (
      `${head} it uses ${construct}; ${why} has neither lookahead nor backreferences. Fix: ` +
      'rewrite it without (an exclude rule often replaces a negative lookahead), or use a glob'
    );
  try {
    compile(source);
    return undefined;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return `${head} ${why} does not support it (${detail}). Fix: rewrite it, or use a glob`;
  }
}

function compile(source: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(source), RE2JS.LOOKBEHINDS);
}

/**
 * Compiles `source` (JavaScript syntax, no flags) for the linear-time engine.
 * @throws Error with the message of {@link checkRegex} when it refuses the pattern.
 */
export function compileRegex(source: string): LinearRegex {
  const error = checkRegex(source);
  if (error !== undefined) throw new Error(error);
  const re = compile(source);
  return { test: (subject) => re.test(subject) };
}
