/**
 * The value types of s3ferry.yaml that plain zod types don't cover: durations, sizes, regular
 * expressions, globs, names and URLs. Each one turns the user's text into what AgentConfig holds
 * (ms, bytes) and words its error so that the user can fix the file from the message alone.
 */
import { z } from 'zod';
import { constantTimetable, type BandwidthTimetable } from '../domain/bandwidth-timetable.js';
import { parseTimetable } from '../domain/timetable-parse.js';
import { parseDuration, parseSize } from '../domain/duration.js';
import { checkGlob } from '../domain/glob.js';
import { checkRegex } from '../domain/linear-regex.js';
import { hasUnencodedUserinfo } from '../domain/redact-url.js';

const DURATION_HINT = 'write it like 30s, 15m, 1h30m, 7d or a number of seconds';
const SIZE_HINT = 'write it like 8MiB, 16M, 1.5G or a number of bytes';

/** 1 MiB, for bounds. */
export const MIB = 1024 ** 2;
/** 1 GiB, for bounds. */
export const GIB = 1024 ** 3;

/** Inclusive bounds of a duration (ms) or a size (bytes), with the text shown in errors. */
export interface Bounds {
  readonly min?: readonly [number, string];
  readonly max?: readonly [number, string];
}

function boundsError(value: number, shown: string, bounds: Bounds): string | undefined {
  if (bounds.min !== undefined && value < bounds.min[0])
    return `${shown} is below the minimum of ${bounds.min[1]}`;
  if (bounds.max !== undefined && value > bounds.max[0])
    return `${shown} is above the maximum of ${bounds.max[1]}`;
  return undefined;
}

/** A duration: "2s", "1h30m", "500ms" or a number of seconds; the output is milliseconds. */
export function duration(bounds: Bounds = {}) {
  return z
    .union([z.number(), z.string()], { error: `expected a duration: ${DURATION_HINT}` })
    .transform((value, ctx) => {
      const ms = typeof value === 'number' ? value * 1000 : parseDuration(value);
      if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `"${String(value)}" is not a duration: ${DURATION_HINT}`,
        });
        return z.NEVER;
      }
      const error = boundsError(ms, String(value), bounds);
      if (error !== undefined) ctx.issues.push({ code: 'custom', input: value, message: error });
      return Math.round(ms);
    })
    .meta({ title: 'duration' });
}

/** A size: "8MiB", "16M" (binary), "16MB" (decimal) or a number of bytes; the output is bytes. */
export function size(bounds: Bounds = {}) {
  return z
    .union([z.number(), z.string()], { error: `expected a size: ${SIZE_HINT}` })
    .transform((value, ctx) => {
      const bytes = typeof value === 'number' ? value : parseSize(value);
      if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < 0) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `"${String(value)}" is not a size: ${SIZE_HINT}`,
        });
        return z.NEVER;
      }
      const error = boundsError(bytes, String(value), bounds);
      if (error !== undefined) ctx.issues.push({ code: 'custom', input: value, message: error });
      return bytes;
    })
    .meta({ title: 'size' });
}

const BANDWIDTH_HINT =
  'write a rate like 4MiB, off, or a weekly timetable like "Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off" (docs/bandwidth.md)';

/**
 * A bandwidth limit: a rate ("4MiB", "10M/s", a number of bytes per second), `off`, or a weekly
 * timetable (domain/bandwidth-timetable.ts). An error names the column of the fault and the fix.
 */
export function bandwidth() {
  return z
    .union([z.number(), z.string()], { error: `expected a bandwidth limit: ${BANDWIDTH_HINT}` })
    .transform((value, ctx): BandwidthTimetable => {
      if (typeof value === 'number') {
        if (Number.isSafeInteger(value) && value >= 1)
          return constantTimetable(value, String(value));
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `${value} is not a rate: a number is whole bytes per second, at least 1; for no limit write off`,
        });
        return z.NEVER;
      }
      const parsed = parseTimetable(value);
      if (parsed.ok) return parsed.timetable;
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `at column ${parsed.error.column} of "${value}": ${parsed.error.message}`,
      });
      return z.NEVER;
    })
    .meta({ title: 'rate or timetable' });
}

/** A whole number within [min, max]. */
export function integer(min: number, max: number) {
  return z
    .number()
    .int({ error: 'expected a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
}

/** A string that is not empty (nor only blanks). */
export function text() {
  return z.string().refine((s) => s.trim() !== '', { error: 'must not be empty' });
}

/**
 * A regular expression (JavaScript syntax), checked to compile and to run in linear time
 * (domain/linear-regex.ts: no lookahead, no backreferences).
 */
export function regex() {
  return z.string().superRefine((source, ctx) => {
    const error = checkRegex(source);
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
  });
}

/** Why a glob meant for file names can never match one, or undefined. */
export function checkNameGlob(pattern: string): string | undefined {
  return pattern.includes('/')
    ? "invalid glob: a name never contains '/' (match the relative path with on: path)"
    : undefined;
}

/** A glob (`*`, `**`, `?`, `[a-z]`, `{a,b}`; see domain/glob.ts), checked to be usable. */
export function glob(nameOnly = false) {
  return z.string().superRefine((pattern, ctx) => {
    const syntax = checkGlob(pattern);
    const error =
      syntax === undefined
        ? nameOnly
          ? checkNameGlob(pattern)
          : undefined
        : `invalid glob: ${syntax}`;
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
  });
}

/** The shape of job and destination names. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** A job or destination name: letters, digits, '_', '.', '-'. */
export function name(what: string) {
  return z.string().regex(NAME_PATTERN, {
    error: `a ${what} name may contain only letters, digits, '_', '.' and '-'`,
  });
}

/** An http:// or https:// URL. */
export function httpUrl() {
  return z.string().refine((s) => /^https?:\/\/[^/\s]+/i.test(s) && URL.canParse(s), {
    error: 'expected an http:// or https:// URL',
  });
}

/** A mapping of string to string; values must be strings (quote numbers in YAML). */
export function stringMap() {
  return z.record(
    z.string(),
    z.string({ error: 'expected a string: quote numbers and booleans in YAML' }),
  );
}

/** `postgres://` or `postgresql://`: a PostgreSQL journal rather than a file. */
const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/**
 * Why a journal spec cannot be used, or undefined. A PostgreSQL URL whose password holds `#`, `/`,
 * `?` or `@` names another host or no password at all once parsed; the message says what to do and
 * never quotes the URL (it holds the password).
 */
export function checkJournalSpec(spec: string): string | undefined {
  if (!POSTGRES_URL.test(spec)) return undefined;
  if (hasUnencodedUserinfo(spec))
    return 'the user or password of the PostgreSQL URL holds #, /, ? or @, which end that part of a URL: percent-encode them (# as %23, / as %2F, ? as %3F, @ as %40)';
  if (!URL.canParse(spec))
    return 'not a valid PostgreSQL URL: write it like postgres://USER:PASSWORD@HOST:5432/DATABASE, with special characters of the password percent-encoded';
  return undefined;
}

/** The journal: a SQLite file path, or a PostgreSQL URL checked by {@link checkJournalSpec}. */
export function journalSpec() {
  return text().superRefine((spec, ctx) => {
    const error = checkJournalSpec(spec);
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
  });
}
