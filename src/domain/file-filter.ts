/**
 * Which candidate files a job takes: pure decisions on a name, relative path, size and mtime
 * (DESIGN.md items 2 and 3). Whether a file is finished (settle window) and whether its marker
 * exists are decided by the caller, which does the I/O; this module only names markers.
 *
 * Order of the checks, first failure wins: marker, ignore globs (on the name), include rules
 * (when there are any, one must match), exclude rules, size bounds, age bounds. A marker is
 * recognised before the ignore list so the caller always learns that a marker arrived.
 *
 * Globs (domain/glob.ts): `*` stays within a segment, `**` spans segments, `?`, `[...]`, `{a,b}`.
 * Include globs follow the dotfile rule: `*` does not match `.hidden`, `.*` does. Ignore and
 * exclude globs match dotfiles too (`*.tmp` ignores `.x.tmp`): a rule that leaves files out
 * should not let hidden ones through. Regular expressions are JavaScript syntax, without flags,
 * and search anywhere in the subject (anchor them with `^`/`$`). Both run in time linear in the
 * subject (domain/linear-regex.ts): no pattern from the configuration can stall the agent.
 */
import type { JobConfig, MatchRule } from '../config/agent-config.js';
import { AppError } from '../errors/app-error.js';
import { compileGlob } from './glob.js';
import { compileRegex, type LinearRegex } from './linear-regex.js';

/** Why a file is not taken. */
export const SKIP_REASONS = [
  'ignored',
  'marker',
  'excluded',
  'not-included',
  'too-small',
  'too-large',
  'too-young',
  'too-old',
] as const;
/** One of {@link SKIP_REASONS}. */
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * The verdict on one file. Every refusal is final for this version of the file except
 * 'too-young', which means "not yet": the file qualifies at `retryAtMs` (ms since the epoch)
 * unless it changes, so the caller checks it again then.
 */
export type Decision =
  | { readonly take: true }
  | {
      readonly take: false;
      readonly reason: Exclude<SkipReason, 'too-young'>;
      /** A sentence for logs and the dashboard. */
      readonly detail: string;
    }
  | {
      readonly take: false;
      readonly reason: 'too-young';
      readonly detail: string;
      readonly retryAtMs: number;
    };

/** What the filter looks at. */
export interface FilterCandidate {
  /** Path relative to the source directory, '/'-separated. */
  readonly relPath: string;
  /** The last segment of relPath. */
  readonly name: string;
  /** Bytes. */
  readonly size: number;
  /** Modification time, ms since the epoch. */
  readonly mtimeMs: number;
}

/** A job's compiled rules. */
export interface FileFilter {
  /** Decides on `file` at time `nowMs` (ms since the epoch). Pure; never throws. */
  decide(file: FilterCandidate, nowMs: number): Decision;
}

/** The job settings {@link compileFilter} reads. */
export type FilterJobConfig = Pick<JobConfig, 'ignore' | 'markerSuffix' | 'filters'>;

/** The name of the marker that releases `name` (`x.mp4` + `.done` → `x.mp4.done`). */
export function markerFor(name: string, markerSuffix: string): string {
  return name + markerSuffix;
}

/**
 * True when `name` is a marker: it ends with a non-empty `markerSuffix` and has something before
 * it (`.done` alone marks nothing and is not a marker).
 */
export function isMarker(name: string, markerSuffix: string): boolean {
  return markerSuffix !== '' && name.length > markerSuffix.length && name.endsWith(markerSuffix);
}

interface CompiledRule {
  readonly test: (file: FilterCandidate) => boolean;
  readonly text: string;
}

function compileRule(rule: MatchRule, dot: boolean): CompiledRule {
  const subject = (file: FilterCandidate): string =>
    rule.on === 'path' ? file.relPath : file.name;
  if ((rule.regex === undefined) === (rule.glob === undefined)) {
    throw new AppError('ERR_CONFIG_INVALID', 'a match rule needs exactly one of regex or glob');
  }
  let re: LinearRegex;
  if (rule.glob !== undefined) re = compileGlob(rule.glob, { dot });
  else {
    try {
      re = compileRegex(rule.regex ?? '');
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new AppError('ERR_CONFIG_INVALID', `regex '${rule.regex ?? ''}': ${why}`, {
        cause: err,
      });
    }
  }
  const kind = rule.glob !== undefined ? `glob '${rule.glob}'` : `regex '${rule.regex ?? ''}'`;
  return { test: (file) => re.test(subject(file)), text: `${kind} on ${rule.on}` };
}

/**
 * Compiles a job's ignore list, marker suffix and filters into a {@link FileFilter}. Throws
 * AppError ERR_CONFIG_INVALID for a glob or regular expression that does not compile, or a rule
 * without exactly one of regex/glob (config validation refuses these first).
 */
export function compileFilter(job: FilterJobConfig): FileFilter {
  const ignore = job.ignore.map((glob) => ({ glob, re: compileGlob(glob, { dot: true }) }));
  const include = job.filters.include.map((r) => compileRule(r, false));
  const exclude = job.filters.exclude.map((r) => compileRule(r, true));
  const { minSize, maxSize, minAge, maxAge } = job.filters;
  const suffix = job.markerSuffix;
  return {
    decide(file, nowMs) {
      const what = `'${file.relPath}'`;
      if (suffix !== undefined && isMarker(file.name, suffix)) {
        return {
          take: false,
          reason: 'marker',
          detail: `${what} is a marker (suffix '${suffix}'); markers are never uploaded`,
        };
      }
      const ignored = ignore.find((i) => i.re.test(file.name));
      if (ignored !== undefined) {
        return {
          take: false,
          reason: 'ignored',
          detail: `${what} matches the ignore glob '${ignored.glob}'`,
        };
      }
      if (include.length > 0 && !include.some((r) => r.test(file))) {
        return { take: false, reason: 'not-included', detail: `${what} matches no include rule` };
      }
      const excluded = exclude.find((r) => r.test(file));
      if (excluded !== undefined) {
        return {
          take: false,
          reason: 'excluded',
          detail: `${what} matches the exclude rule ${excluded.text}`,
        };
      }
      if (minSize !== undefined && file.size < minSize) {
        const detail = `${what} is ${file.size} bytes, below the minimum of ${minSize}`;
        return { take: false, reason: 'too-small', detail };
      }
      if (maxSize !== undefined && file.size > maxSize) {
        const detail = `${what} is ${file.size} bytes, above the maximum of ${maxSize}`;
        return { take: false, reason: 'too-large', detail };
      }
      const age = nowMs - file.mtimeMs;
      if (minAge !== undefined && age < minAge) {
        const detail = `${what} was modified ${age} ms ago; it is taken once ${minAge} ms old`;
        return { take: false, reason: 'too-young', detail, retryAtMs: file.mtimeMs + minAge };
      }
      if (maxAge !== undefined && age > maxAge) {
        const detail = `${what} was modified ${age} ms ago, more than the maximum age of ${maxAge} ms`;
        return { take: false, reason: 'too-old', detail };
      }
      return { take: true };
    },
  };
}
