// Throughput over the last minutes, drawn as inline SVG: one sample per second, the sum of the
// live transfers' speeds from the stream's `transfers` ticks; seconds before the page opened are
// filled in from recent history rows (each spread evenly over its start..finish).
import { h, replace } from './dom.js';
import { rate } from './format.js';

const WINDOW_S = 300;
const W = 600;
const H = 140;

/** @typedef {Pick<import('../types/api').HistoryRecord, 'startedAt' | 'finishedAt' | 'size' | 'result'>} SeedRow */

/** The samples of the chart (the store keeps one). */
export function createThroughput() {
  /** @type {Map<number, number>} second (epoch s) -> bytes per second */
  const samples = new Map();
  let openedAt = Math.floor(Date.now() / 1000);
  let lastTick = 0;

  /** @param {number} nowS */
  const prune = (nowS) => {
    for (const s of samples.keys()) if (s <= nowS - WINDOW_S) samples.delete(s);
  };

  return {
    /**
     * A `transfers` tick: items with bytesPerSec.
     * @param {readonly { bytesPerSec: number }[]} items
     * @param {number} [atMs]
     */
    tick(items, atMs = Date.now()) {
      const s = Math.floor(atMs / 1000);
      const total = items.reduce((sum, t) => sum + (t.bytesPerSec || 0), 0);
      samples.set(s, total);
      lastTick = s;
      prune(s);
    },
    /**
     * History rows (startedAt, finishedAt, size) that ended before the page opened.
     * @param {readonly SeedRow[]} rows
     * @param {number} [nowMs]
     */
    seed(rows, nowMs = Date.now()) {
      openedAt = Math.floor(nowMs / 1000);
      for (const r of rows) {
        const start = Math.floor(r.startedAt / 1000);
        const end = Math.max(start, Math.floor(r.finishedAt / 1000));
        if (end < openedAt - WINDOW_S || r.result !== 'done') continue;
        const perS = r.size / (end - start + 1);
        for (
          let s = Math.max(start, openedAt - WINDOW_S);
          s <= Math.min(end, openedAt - 1);
          s += 1
        ) {
          samples.set(s, (samples.get(s) || 0) + perS);
        }
      }
    },
    /**
     * The series for the window ending now: seconds without a sample are 0.
     * @param {number} [nowMs]
     */
    series(nowMs = Date.now()) {
      const now = Math.floor(nowMs / 1000);
      prune(now);
      /** @type {number[]} */
      const out = [];
      for (let s = now - WINDOW_S + 1; s <= now; s += 1) out.push(samples.get(s) || 0);
      return out;
    },
    /**
     * The latest speed, 0 when no tick came in the last 3 s.
     * @param {number} [nowMs]
     */
    current(nowMs = Date.now()) {
      const now = Math.floor(nowMs / 1000);
      return now - lastTick <= 3 ? samples.get(lastTick) || 0 : 0;
    },
  };
}

const NICE = [
  1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 40, 50, 64, 80, 100, 128, 200, 256, 400, 500, 512, 800, 1024,
];

/**
 * A round axis maximum at or above v bytes/s, in binary units (e.g. 4 MiB/s, 20 MiB/s).
 * @param {number} v
 */
function niceMax(v) {
  if (v <= 0) return 1024 * 1024;
  const unit = 1024 ** Math.floor(Math.log(v) / Math.log(1024));
  const n = v / unit;
  return (NICE.find((m) => m >= n) ?? 1024) * unit;
}

/**
 * Draws the chart into `box` (replacing what was there).
 * @param {HTMLElement} box
 * @param {ReturnType<typeof createThroughput>} tp
 */
export function renderThroughput(box, tp) {
  const data = tp.series();
  const peak = Math.max(...data);
  const nonZero = data.filter((v) => v > 0);
  const avg = data.reduce((a, b) => a + b, 0) / data.length;
  const max = niceMax(peak);
  /** @param {number} i */
  const x = (i) => (i / (data.length - 1)) * W;
  /** @param {number} v */
  const y = (v) => H - (v / max) * (H - 4);
  let line = '';
  data.forEach((v, i) => {
    line += `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  const area = `${line}L${W},${H}L0,${H}Z`;
  const now = tp.current();
  const summary = `Throughput over the last 5 minutes: now ${rate(now) === '–' ? 'idle' : rate(now)}, peak ${rate(peak)}.`;
  const grid = [0.25, 0.5, 0.75].map((f) =>
    h('line', { x1: 0, x2: W, y1: H * f, y2: H * f, class: 'chart-grid' }),
  );
  const svg = h(
    'svg',
    {
      class: 'chart-svg',
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': summary,
    },
    grid,
    h('path', { d: area, class: 'chart-area' }),
    h('path', { d: line, class: 'chart-line' }),
  );
  replace(
    box,
    h(
      'div',
      { class: 'chart-stats' },
      stat('Now', now > 0 ? rate(now) : 'idle'),
      stat('Peak', peak > 0 ? rate(peak) : '–'),
      stat('Average', nonZero.length > 0 ? rate(avg) : '–'),
    ),
    h(
      'div',
      { class: 'chart-plot' },
      h('span', { class: 'chart-ymax', 'aria-hidden': 'true' }, rate(max)),
      svg,
      h(
        'div',
        { class: 'chart-x', 'aria-hidden': 'true' },
        h('span', {}, '5 min ago'),
        h('span', {}, 'now'),
      ),
    ),
  );
}

/**
 * @param {string} label
 * @param {string} value
 */
function stat(label, value) {
  return h(
    'div',
    { class: 'chart-stat' },
    h('span', { class: 'muted' }, label),
    h('strong', {}, value),
  );
}
