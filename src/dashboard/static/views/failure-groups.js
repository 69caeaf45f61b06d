// The queue's failures by cause (GET /api/v1/failures): the parked and waiting files grouped by
// the code of their reason, each group with how many files it holds, its newest file and when,
// the cause and the fix as that file's reason gives them (they name its path and this agent's
// configuration), and a button that releases the whole group for another try
// (POST /api/v1/retry { code, job? }).
import { badge, empty, h, longText, replace } from '../dom.js';
import { ago, baseName, count, fullTime } from '../format.js';
import { announce, busy, toast } from '../ui.js';

/** @typedef {import('../../types/api').FailureGroup} FailureGroup */

/**
 * The panel: `el`; load(job) asks for the groups (of one job, '' for all) and draws them.
 * `onRetried` runs after a group was released (the caller loads its lists again).
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @param {{ onRetried: () => Promise<void> }} options
 */
export function failureGroups({ api }, { onRetried }) {
  const list = h('div', { class: 'stack', id: 'failure-groups' });
  const note = h('span', { class: 'muted small', id: 'failure-groups-note' });
  const el = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'h-failure-groups' },
    h('header', { class: 'panel-head' }, h('h2', { id: 'h-failure-groups' }, 'By cause'), note),
    list,
  );
  let job = '';
  let seq = 0;

  /** @param {FailureGroup} g */
  const group = (g) => {
    const f = g.newest;
    const reason = f.reason;
    const waiting = g.files - g.parked;
    const label = g.code || 'no reason';
    const retry = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        'aria-label': `Retry the ${count(g.files)} files of ${label}`,
      },
      g.files === 1 ? 'Retry it' : `Retry all ${count(g.files)}`,
    );
    retry.addEventListener('click', () => {
      void busy(
        retry,
        async () => {
          const r = await api('/retry', {
            method: 'POST',
            body: { code: g.code, ...(job ? { job } : {}) },
          });
          const n = r.released;
          toast(
            `${count(n)} file${n === 1 ? '' : 's'} of ${label} released for another try.`,
            'ok',
          );
          announce(`${n} files of ${label} released for another try`);
          await onRetried();
        },
        `Retry ${label}`,
      );
    });
    return h(
      'article',
      { class: ['row-card', 'failure-group', g.parked > 0 && 'is-bad'], dataset: { code: g.code } },
      h(
        'div',
        { class: 'row-main' },
        h(
          'div',
          { class: 'row-title' },
          h('code', { class: 'failure-code' }, label),
          h(
            'strong',
            { class: 'failure-count' },
            `${count(g.files)} file${g.files === 1 ? '' : 's'}`,
          ),
          g.parked > 0
            ? badge(`${count(g.parked)} parked`, 'bad', 'parked until retried')
            : undefined,
          waiting > 0
            ? badge(`${count(waiting)} waiting`, 'warn', 'tried again by themselves')
            : undefined,
        ),
        h(
          'div',
          { class: 'row-sub failure-newest' },
          'Newest: ',
          h('span', { class: 'mono', title: f.path }, baseName(f.path)),
          ` (${f.job}, ${f.state}) `,
          h('span', { title: fullTime(f.updatedAt) }, ago(f.updatedAt)),
        ),
        reason
          ? h('div', { class: 'problem-cause' }, longText(reason.message))
          : h('div', { class: 'row-sub' }, 'no reason recorded'),
        reason?.hint
          ? h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), reason.hint)
          : undefined,
      ),
      retry,
    );
  };

  /** @param {string} forJob */
  const load = async (forJob) => {
    job = forJob;
    const mine = ++seq;
    const r = await api('/failures', { params: { job } });
    if (mine !== seq) return;
    const files = r.items.reduce((n, g) => n + g.files, 0);
    note.textContent =
      r.items.length === 0
        ? ''
        : `${count(files)} file${files === 1 ? '' : 's'} in ${count(r.items.length)} group${r.items.length === 1 ? '' : 's'}`;
    replace(
      list,
      r.items.length === 0 ? empty('No parked or waiting files.') : r.items.map((g) => group(g)),
    );
  };

  return { el, load };
}
