/**
 * The text of a bandwidth limit (`bwlimit:` in s3ferry.yaml, docs/bandwidth.md): one rate, or a
 * weekly timetable modelled on rclone's `--bwlimit` timetable:
 *
 * ```
 * timetable := group (';' group)*
 * group     := [days] step (',' step)*
 * days      := day ['-' day] (',' day ['-' day])*     Mon … Sun, or Monday … Sunday
 * step      := [HH:MM] rate                            the time may be left out of a group's first step: 00:00
 * rate      := size ['/s'] | 'off'                     4MiB, 512k, 10M/s; off: no limit
 * ```
 *
 * e.g. `Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off`. A group's steps hold on each of its days; a
 * group without days holds on every day that no other group names (so `4MiB` alone is a constant
 * limit, and `08:00 4MiB, 18:00 off; Sat-Sun off` keeps the weekend free). A step holds until the
 * next step of the week, across midnight and from Sunday into Monday: a day with no step of its
 * own keeps the limit the previous day ended with.
 *
 * Pure. The types and rates are here; parsing the whole text, with errors naming the column of
 * the fault and the fix, is timetable-parse.ts.
 */
import { parseSize } from './duration.js';

/** Days as Date.getDay() numbers them: 0 is Sunday. */
export const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Minutes in a day, and in a week. */
export const DAY_MINUTES = 1440;
export const WEEK_MINUTES = 7 * DAY_MINUTES;

/** One step: from this minute of the week on, this rate (null: no limit). */
export interface BandwidthStep {
  /** 0 (Sunday 00:00) to 10,079 (Saturday 23:59), local time. */
  readonly weekMinute: number;
  /** Bytes per second; null for `off`. */
  readonly bytesPerSec: number | null;
}

/** A parsed limit: its text as written (trimmed) and its steps in week order (at least one). */
export interface BandwidthTimetable {
  readonly text: string;
  readonly steps: readonly BandwidthStep[];
}

/** Why a text is not a limit: where (1-based column), what is wrong, and how to write it. */
export interface TimetableError {
  readonly column: number;
  readonly message: string;
}

export type TimetableResult =
  | { readonly ok: true; readonly timetable: BandwidthTimetable }
  | { readonly ok: false; readonly error: TimetableError };

/** How to write a rate, for messages. */
export const RATE_HINT = 'write bytes per second like 4MiB, 512KiB or 10M (/s may follow), or off';

/** A rate: bytes per second (at least 1), or null for `off`; undefined when it is not one. */
export function parseRate(text: string): number | null | undefined {
  const t = text.trim();
  if (/^off$/i.test(t)) return null;
  const bytes = parseSize(t.replace(/\/s$/i, ''));
  return bytes !== undefined && Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}

/** Why `text` is not a rate, for messages: the fix included. */
export function rateProblem(text: string): string {
  const bytes = parseSize(text.trim().replace(/\/s$/i, ''));
  return bytes === 0
    ? `a rate of ${text} would stop every upload: write off for no limit, or pause the job (s3ferry pause)`
    : `"${text}" is not a rate: ${RATE_HINT}`;
}

/** "08:00". */
export function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** A constant limit of `bytesPerSec` (null: none), written `text`. */
export function constantTimetable(bytesPerSec: number | null, text: string): BandwidthTimetable {
  return { text, steps: [{ weekMinute: 0, bytesPerSec }] };
}
