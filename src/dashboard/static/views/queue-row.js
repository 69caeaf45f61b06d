// A file's row in the queue table: where it is, its state, the agent holding it (pending), why it
// waits, is parked or skipped (its reason's code, cause and fix, or its destination's while that is
// unhealthy, or the pause that holds it), its tries, and Retry for a waiting or parked one.
import { h, longText } from '../dom.js';
import { ago, baseName, bytes, count, dirName, fullTime, reasonParts } from '../format.js';
import { announce, busy, toast } from '../ui.js';
import { holderCell } from './agents.js';
import { stateBadge } from './table.js';

/** @typedef {import('../../types/api').FileRecord} FileRecord */

/**
 * A file's row of the queue table.
 * @param {FileRecord} f
 * @param {{ section: string, showAction: boolean, ctx: import('../../types/dashboard').ViewContext,
 *   onRetried: () => Promise<void> }} options
 */
export function fileRow(f, { section, showAction, ctx, onRetried }) {
  const { store, api } = ctx;
  // the reason comes as { code, message, hint }
  const parsed = reasonParts(f.reason);
  // a skipped file's reason is no failure, but its code says which kind (exists, duplicate)
  const code = parsed.code || (f.state === 'skipped' && f.reason ? f.reason.code : '');
  const ofJob = store.jobs.find((j) => j.name === f.job);
  const held = ofJob && !ofJob.health.healthy && f.state !== 'parked' ? ofJob.health : null;
  // a pending file of an unhealthy destination waits for it: say so, with the destination's cause
  const jobPaused = ofJob?.paused === true;
  const paused = f.state === 'queued' && (store.status?.paused === true || jobPaused);
  const cause =
    parsed.message ||
    (held ? `waits for its destination: ${held.cause ?? 'unhealthy'}` : '') ||
    (paused ? `held: ${jobPaused ? `job ${f.job}` : 'all processing'} is paused` : '');
  const problem = Boolean(parsed.code || held);
  const hint = parsed.hint || (held && !parsed.message ? (held.hint ?? '') : '');
  const retry = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'aria-label': `Retry ${baseName(f.path)}` },
    'Retry',
  );
  retry.addEventListener('click', () => {
    void busy(
      retry,
      async () => {
        const r = await api('/retry', { method: 'POST', body: { fileId: f.id } });
        const n = r.released;
        toast(
          n > 0
            ? `${baseName(f.path)} released for another try.`
            : `${baseName(f.path)} was not waiting any more.`,
          'ok',
        );
        announce(`${baseName(f.path)} released for another try`);
        await onRetried();
      },
      `Retry ${baseName(f.path)}`,
    );
  });
  const next =
    f.state === 'waiting' && f.notBefore
      ? f.notBefore > Date.now()
        ? `next try ${inFuture(f.notBefore)}`
        : 'next try soon'
      : '';
  return h(
    'tr',
    { dataset: { fileId: String(f.id), path: f.path } },
    h(
      'td',
      { 'data-label': 'File', class: 'cell-file' },
      h('strong', { class: 'mono', title: f.path }, baseName(f.path)),
      h('span', { class: 'muted mono path-dir' }, dirName(f.path)),
    ),
    h('td', { 'data-label': 'Job' }, f.job),
    h('td', { 'data-label': 'Size', class: 'num' }, bytes(f.size)),
    h('td', { 'data-label': 'State' }, stateBadge(f.state)),
    section === 'pending'
      ? h('td', { 'data-label': 'Held by', class: 'cell-holder' }, holderCell(store.fleet, f))
      : undefined,
    h(
      'td',
      { 'data-label': section === 'pending' ? 'Note' : 'Why', class: 'cell-why' },
      cause
        ? h(
            'div',
            { class: problem ? 'problem-cause' : 'note' },
            code ? h('code', {}, code) : undefined,
            code ? ' ' : undefined,
            longText(cause),
          )
        : h('span', { class: 'muted' }, '–'),
      hint ? h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), hint) : undefined,
      next ? h('div', { class: 'muted small' }, next) : undefined,
    ),
    h('td', { 'data-label': 'Tries', class: 'num' }, count(f.attempts)),
    h('td', { 'data-label': 'Updated', title: fullTime(f.updatedAt) }, ago(f.updatedAt)),
    showAction ? h('td', { 'data-label': 'Action', class: 'cell-action' }, retry) : undefined,
  );
}

/** @param {number} ms */
function inFuture(ms) {
  const s = Math.round((ms - Date.now()) / 1000);
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  return `at ${new Date(ms).toLocaleTimeString()}`;
}
