/**
 * Which bandwidth limit holds at a moment, and until when: a timetable (bandwidth-timetable.ts)
 * read in local time, and a person's override of it (`s3ferry bwlimit 2MiB [--for 2h]`).
 *
 * Local time is the agent's: its time zone (TZ, else the system's), given as a {@link LocalZone}
 * so that this stays pure and the tests choose the zone. A step holds from its local wall-clock
 * time: when the clocks go forward, a step in the skipped hour takes effect at the first minute
 * after it; when they go back, the steps of the repeated hour take effect again.
 *
 * An override holds until its `--for` ends, else until the timetable next changes the limit
 * (never, for a constant limit: then until it is reset, or the agent reloads or restarts).
 */
import {
  DAY_MINUTES,
  WEEK_MINUTES,
  type BandwidthStep,
  type BandwidthTimetable,
} from './bandwidth-timetable.js';
import { formatBytes } from './duration.js';

const MINUTE_MS = 60_000;
/** 1970-01-01 was a Thursday (day 4, Sunday being 0). */
const EPOCH_DAY = 4;

/** A time zone: how far local wall-clock time is ahead of UTC at a moment. */
export interface LocalZone {
  /** Minutes local time is ahead of UTC at `epochMs` (e.g. 120 for UTC+2; negative west of it). */
  offsetMinutes(epochMs: number): number;
}

/** A zone of a fixed offset, without daylight saving time (UTC: 0). */
export function fixedZone(offsetMinutes: number): LocalZone {
  return { offsetMinutes: () => offsetMinutes };
}

/** The minute of the week (0: Sunday 00:00) of a moment in `zone`. */
export function weekMinuteAt(epochMs: number, zone: LocalZone): number {
  const localMinute = Math.floor((epochMs + zone.offsetMinutes(epochMs) * MINUTE_MS) / MINUTE_MS);
  const day = (((Math.floor(localMinute / DAY_MINUTES) + EPOCH_DAY) % 7) + 7) % 7;
  const minuteOfDay = ((localMinute % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return day * DAY_MINUTES + minuteOfDay;
}

/** A limit in bytes per second; null for none. */
export type Rate = number | null;

/** "4.00 MiB/s", or "no limit". */
export function rateText(rate: Rate): string {
  return rate === null ? 'no limit' : `${formatBytes(rate)}/s`;
}

/** What a timetable says at a moment: its rate, and its next change (absent: it never changes). */
export interface ScheduledRate {
  readonly bytesPerSec: Rate;
  readonly next?: { readonly at: number; readonly bytesPerSec: Rate };
}

/** The index of the step holding at `weekMinute`: the last at or before it, else the week's last. */
function stepIndexAt(steps: readonly BandwidthStep[], weekMinute: number): number {
  let found = steps.length - 1;
  steps.forEach((s, i) => {
    if (s.weekMinute <= weekMinute) found = i;
  });
  return found;
}

/**
 * The moment, after `now` (whose minute of the week is `fromWeekMinute`), when local time in `zone`
 * next reads `weekMinute`. Across a change of the zone's offset the wall-clock time is kept; a
 * time the clocks skip (they went forward over it) comes when they did.
 */
function nextLocal(
  now: number,
  fromWeekMinute: number,
  weekMinute: number,
  zone: LocalZone,
): number {
  const ahead = (weekMinute - fromWeekMinute + WEEK_MINUTES) % WEEK_MINUTES || WEEK_MINUTES;
  const guess = now - (((now % MINUTE_MS) + MINUTE_MS) % MINUTE_MS) + ahead * MINUTE_MS;
  const kept = guess + (zone.offsetMinutes(now) - zone.offsetMinutes(guess)) * MINUTE_MS;
  if (weekMinuteAt(kept, zone) === weekMinute) return Math.max(kept, now + 1);
  // skipped: find the minute the offset changed, between the two candidates
  let lo = Math.min(kept, guess);
  let hi = Math.max(kept, guess);
  const before = zone.offsetMinutes(lo);
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
    if (zone.offsetMinutes(mid) === before) lo = mid;
    else hi = mid;
  }
  return Math.max(hi, now + 1);
}

/** The rate `timetable` gives at `now` in `zone`, and its next change. Undefined: no limit. */
export function scheduledAt(
  timetable: BandwidthTimetable | undefined,
  now: number,
  zone: LocalZone,
): ScheduledRate {
  if (timetable === undefined || timetable.steps.length === 0) return { bytesPerSec: null };
  const { steps } = timetable;
  const minute = weekMinuteAt(now, zone);
  const i = stepIndexAt(steps, minute);
  const rate = steps[i]?.bytesPerSec ?? null;
  for (let k = 1; k < steps.length; k += 1) {
    const s = steps[(i + k) % steps.length];
    if (s === undefined || s.bytesPerSec === rate) continue;
    return {
      bytesPerSec: rate,
      next: { at: nextLocal(now, minute, s.weekMinute, zone), bytesPerSec: s.bytesPerSec },
    };
  }
  return { bytesPerSec: rate };
}

/** A person's limit in place of the timetable's, from `setAt` until `until` (null: no end). */
export interface LimitOverride {
  readonly bytesPerSec: Rate;
  readonly setAt: number;
  readonly until: number | null;
}

/**
 * The override of `bytesPerSec` made at `now`: for `forMs` when given, else until the timetable
 * next changes the limit (no end when it never does).
 */
export function makeOverride(
  timetable: BandwidthTimetable | undefined,
  bytesPerSec: Rate,
  now: number,
  zone: LocalZone,
  forMs?: number,
): LimitOverride {
  const until =
    forMs !== undefined ? now + forMs : (scheduledAt(timetable, now, zone).next?.at ?? null);
  return { bytesPerSec, setAt: now, until };
}

/** True while `override` holds at `now`. */
export function overrideHolds(override: LimitOverride | undefined, now: number): boolean {
  return override !== undefined && (override.until === null || now < override.until);
}

/** The limit in effect: whose it is, and its next change (absent: none is known). */
export interface EffectiveLimit {
  readonly bytesPerSec: Rate;
  readonly source: 'config' | 'override';
  readonly next?: { readonly at: number; readonly bytesPerSec: Rate };
}

/** The limit at `now`: the override while it holds, else the timetable's. */
export function effectiveLimit(
  timetable: BandwidthTimetable | undefined,
  override: LimitOverride | undefined,
  now: number,
  zone: LocalZone,
): EffectiveLimit {
  if (override === undefined || !overrideHolds(override, now)) {
    const s = scheduledAt(timetable, now, zone);
    return { bytesPerSec: s.bytesPerSec, source: 'config', ...(s.next && { next: s.next }) };
  }
  if (override.until === null) return { bytesPerSec: override.bytesPerSec, source: 'override' };
  const after = scheduledAt(timetable, override.until, zone).bytesPerSec;
  return {
    bytesPerSec: override.bytesPerSec,
    source: 'override',
    next: { at: override.until, bytesPerSec: after },
  };
}
