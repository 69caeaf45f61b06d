/**
 * The windows of a job's manifests (issue 16, item 4): UTC days or hours, each manifest written
 * once its window has closed and a grace period has passed (so the history rows of uploads that
 * ended just before the close are in the journal), and looked at again at the next close, so a
 * row recorded late (after a journal outage, or by an agent taking a file over) still gets in.
 * Pure: the caller gives the time (an injected clock).
 */

/** How long a manifest spans. */
export type ManifestPeriod = 'daily' | 'hourly';

/** A closed-open span of time: [start, end), ms since the epoch, and its name in the key. */
export interface ManifestWindow {
  readonly start: number;
  readonly end: number;
  /** `2026-12-06` (daily) or `2026-12-06T09` (hourly), in UTC. */
  readonly name: string;
}

/** How long after a window's end its manifest is written, ms. */
export const MANIFEST_GRACE_MS = 60_000;

/** How many of the latest closed windows are looked at each time: the new one and the one before. */
export const MANIFEST_LOOK_BACK = 2;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function spanOf(period: ManifestPeriod): number {
  return period === 'daily' ? DAY : HOUR;
}

/** The window of `period` that holds the time `at`. */
export function windowAt(at: number, period: ManifestPeriod): ManifestWindow {
  const span = spanOf(period);
  const start = Math.floor(at / span) * span;
  const iso = new Date(start).toISOString();
  return {
    start,
    end: start + span,
    name: period === 'daily' ? iso.slice(0, 10) : iso.slice(0, 13),
  };
}

/**
 * The windows whose manifests are due at `now`: the latest {@link MANIFEST_LOOK_BACK} windows
 * that closed at least `grace` ago, oldest first.
 */
export function dueWindows(
  now: number,
  period: ManifestPeriod,
  grace = MANIFEST_GRACE_MS,
): ManifestWindow[] {
  const span = spanOf(period);
  const latest = windowAt(now - grace, period).start - span; // the newest window closed by then
  return Array.from({ length: MANIFEST_LOOK_BACK }, (_, i) =>
    windowAt(latest - (MANIFEST_LOOK_BACK - 1 - i) * span, period),
  );
}

/** When the next window's manifest falls due after `now` (its end plus `grace`). */
export function nextDueAt(now: number, period: ManifestPeriod, grace = MANIFEST_GRACE_MS): number {
  return windowAt(now - grace, period).end + grace;
}

/** Where the manifest of `window` goes: under the destination's prefix, apart from any file's key. */
export function manifestKey(prefix: string, job: string, window: ManifestWindow): string {
  return `${prefix}_s3ferry/manifests/${job}/${window.name}.jsonl`;
}
