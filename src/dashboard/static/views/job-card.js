// A job's card on the overview: its mode, health, pause switch, sources (with the problem and fix
// of one that cannot be served), destination, file counts, and its throughput over the last minute
// with the time left of its queue.
import { badge, h, longText, switchButton } from '../dom.js';
import { count, PENDING_STATES } from '../format.js';
import { announce, showError, toast } from '../ui.js';
import { healthBadge } from './destination-card.js';
import { etaLine } from './eta.js';

/**
 * @param {import('../../types/api').Job} j
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @param {{ stats: import('../../types/api').JobStats | undefined, windowMs: number }} rates
 */
export function jobRow(j, { api, refresh }, rates) {
  const counts = j.counts;
  const pending = PENDING_STATES.reduce((n, s) => n + (counts[s] ?? 0), 0);
  const waiting = counts.waiting ?? 0;
  const parked = counts.parked ?? 0;
  const parts = [
    pending ? `${count(pending)} pending${waiting ? ` (${count(waiting)} waiting)` : ''}` : '',
    parked ? `${count(parked)} parked` : '',
    `${count(counts.done ?? 0)} done`,
  ].filter(Boolean);
  const dest = j.destination;
  const toggle = switchButton({
    checked: !j.paused,
    label: `Run job ${j.name}`,
    labelOn: 'Running',
    labelOff: 'Paused',
    onToggle: async (run) => {
      try {
        const r = await api(run ? '/resume' : '/pause', { method: 'POST', body: { job: j.name } });
        announce(`Job ${j.name} ${run ? 'resumed' : 'paused'}`);
        // resumed while all processing is paused: nothing moves yet, and the person must know
        if ('note' in r && typeof r.note === 'string') toast(r.note);
        await refresh();
      } catch (err) {
        showError(err, `Could not ${run ? 'resume' : 'pause'} ${j.name}`);
        throw err;
      }
    },
  });
  toggle.dataset.job = j.name;
  // a source directory that is missing (or a file) keeps the job from its files: say so, with the fix
  const troubled = j.sources.flatMap((s) => (s.problem ? [{ path: s.path, ...s.problem }] : []));
  return h(
    'article',
    { class: ['row-card', j.paused && 'is-paused'], dataset: { job: j.name } },
    h(
      'div',
      { class: 'row-main' },
      h(
        'div',
        { class: 'row-title' },
        h('strong', {}, j.name),
        badge(j.mode, 'muted', j.mode === 'scan' ? 'rescans only' : 'events and rescans'),
        healthBadge(j.health),
        troubled.length > 0
          ? badge('source problem', 'bad', 'a source directory cannot be served')
          : undefined,
        j.paused ? badge('paused', 'warn') : undefined,
      ),
      h('div', { class: 'row-sub mono' }, j.sources.map((s) => s.path).join(', ')),
      troubled.map((p) =>
        h(
          'div',
          { class: 'problem', dataset: { source: p.path } },
          h('div', { class: 'problem-cause' }, longText(p.cause)),
          h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), p.hint),
        ),
      ),
      h('div', { class: 'row-sub mono' }, `→ s3://${dest.bucket}/${dest.prefix}`),
      h('div', { class: 'row-sub' }, parts.join(' · ')),
      rates.stats
        ? h('div', { class: 'row-sub job-rate' }, etaLine(rates.stats, rates.windowMs))
        : undefined,
    ),
    toggle,
  );
}
