/** The human lines of the bandwidth limits (docs/bandwidth.md), for `bwlimit` and `status`. */
import {
  AGENT_SCOPE,
  type BandwidthLimitView,
  type BandwidthView,
} from '../agent/bandwidth-control.js';
import { rateText } from '../domain/bandwidth-schedule.js';
import { DAY_NAMES } from '../domain/bandwidth-timetable.js';

/** `Mon 2026-03-02 18:00`, in this machine's local time (the agent's, on its machine). */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const day = DAY_NAMES[d.getDay()] ?? '';
  return `${day} ${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * `bandwidth of NAME: 2.00 MiB/s (override) until Mon 2026-03-02 20:00, then 4.00 MiB/s;
 * configured "…"`.
 */
export function limitLine(l: BandwidthLimitView): string {
  const who = l.destination === AGENT_SCOPE ? 'over all destinations' : `of ${l.destination}`;
  let text = `bandwidth ${who}: ${rateText(l.bytesPerSec)}`;
  if (l.source === 'override')
    text += l.override?.until === null ? ' (override, until reset)' : ' (override)';
  if (l.next !== undefined)
    text += ` until ${localTime(l.next.at)}, then ${rateText(l.next.bytesPerSec)}`;
  text += l.timetable === null ? '; none configured' : `; configured "${l.timetable}"`;
  return text;
}

/** True for a limit worth a line in `status`: one configured, or overridden. */
function shown(l: BandwidthLimitView): boolean {
  return l.timetable !== null || l.source === 'override';
}

/** The lines of every limit (`bwlimit`), or of those configured or overridden (`status`). */
export function bandwidthLines(view: BandwidthView, all: boolean): string[] {
  return [view.agent, ...view.destinations].filter((l) => all || shown(l)).map(limitLine);
}
