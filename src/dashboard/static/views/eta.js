// The queue's time left and the throughput it comes from (GET /api/v1/stats), as the overview's
// tile, each job's card and the queue view show them. Never a made-up number: while nothing moves
// there is no estimate, only the reason (paused, estimating, stalled), and "—" when nothing is left.
import { h } from '../dom.js';
import { bytes, count, duration, rate } from '../format.js';

/** @typedef {import('../../types/api').Eta} Eta */
/** @typedef {import('../../types/api').ThroughputStats} ThroughputStats */

/**
 * The window of the throughput: "minute", "2 minutes", "30 seconds".
 * @param {number} ms
 */
export function windowText(ms) {
  if (ms === 60_000) return 'minute';
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)} seconds`;
}

/**
 * The time left as a short text: "≈ 3 m 20 s", "—", "paused", "estimating…", "stalled".
 * @param {Eta | undefined} eta
 */
export function etaText(eta) {
  if (!eta) return '—';
  switch (eta.state) {
    case 'moving':
      return eta.ms === null ? '—' : `≈ ${duration(eta.ms)}`;
    case 'empty':
      return '—';
    case 'paused':
      return 'paused';
    case 'starting':
      return 'estimating…';
    case 'stalled':
      return 'stalled';
  }
}

/**
 * What the time left means, for a title and screen readers.
 * @param {Eta | undefined} eta
 * @param {number} windowMs
 */
export function etaTitle(eta, windowMs) {
  const window = windowText(windowMs);
  switch (eta?.state) {
    case 'moving':
      return `at the throughput of the last ${window}`;
    case 'paused':
      return 'paused: nothing moves until it is resumed';
    case 'starting':
      return 'uploads began here or on other agents, but no throughput is measured yet';
    case 'stalled':
      return `files are left, but nothing moved in the last ${window}`;
    case 'empty':
    case undefined:
      return 'nothing is left to send';
  }
}

/**
 * The tone of the time left: stalled is a warning.
 * @param {Eta | undefined} eta
 * @returns {import('../dom.js').Tone}
 */
export function etaTone(eta) {
  if (eta?.state === 'stalled') return 'warn';
  return eta?.state === 'moving' ? 'info' : 'muted';
}

/**
 * Files per second as people read them: "12 files/s", "1.5 files/s", "6.0 files/min".
 * @param {number} n
 */
export function filesRate(n) {
  if (!(n > 0)) return '–';
  if (n >= 10) return `${count(Math.round(n))} files/s`;
  if (n >= 1) return `${n.toFixed(1)} files/s`;
  return `${(n * 60).toFixed(1)} files/min`;
}

/**
 * "4.20 MiB/s · 1.5 files/s", or "idle".
 * @param {Pick<ThroughputStats, 'bytesPerSec' | 'filesPerSec'>} s
 */
export function throughputText(s) {
  if (s.bytesPerSec <= 0 && s.filesPerSec <= 0) return 'idle';
  return [
    s.bytesPerSec > 0 ? rate(s.bytesPerSec) : '',
    s.filesPerSec > 0 ? filesRate(s.filesPerSec) : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * "12 files (1.20 GiB) left", or "nothing left".
 * @param {ThroughputStats['left']} left
 */
export function leftText(left) {
  if (left.files <= 0) return 'nothing left';
  return `${count(left.files)} file${left.files === 1 ? '' : 's'} (${bytes(left.bytes)}) left`;
}

/**
 * One line: "12 files (1.20 GiB) left · 4.20 MiB/s · 1.5 files/s over the last minute · done in
 * ≈ 3 m", or "· paused", "· stalled", "· estimating the time left…" instead of its end; the time
 * left in an element of its own (data-eta: its state).
 * @param {ThroughputStats} s
 * @param {number} windowMs
 */
export function etaLine(s, windowMs) {
  const moving = s.bytesPerSec > 0 || s.filesPerSec > 0;
  const state = s.eta.state;
  const text = state === 'starting' ? 'estimating the time left…' : etaText(s.eta);
  return [
    h('span', { class: 'eta-left' }, leftText(s.left)),
    ' · ',
    h(
      'span',
      { class: 'eta-rate' },
      moving
        ? `${throughputText(s)} over the last ${windowText(windowMs)}`
        : state === 'starting'
          ? 'no throughput measured yet'
          : 'nothing moving',
    ),
    s.left.files > 0 ? (state === 'moving' ? ' · done in ' : ' · ') : undefined,
    s.left.files > 0
      ? h(
          'strong',
          { class: `eta eta-${state}`, dataset: { eta: state }, title: etaTitle(s.eta, windowMs) },
          text,
        )
      : undefined,
  ];
}
