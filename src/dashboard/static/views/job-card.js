// A job's card on the overview: its mode, health, pause switch, sources (with the problem and fix
// of one that cannot be served), destination and file counts.
import { badge, h, longText, switchButton } from '../dom.js';
import { count, PENDING_STATES } from '../format.js';
import { announce, showError, toast } from '../ui.js';
import { healthBadge } from './destination-card.js';

export function jobRow(j, api, refresh) {
  const counts = j.counts || {};
  const pending = PENDING_STATES.reduce((n, s) => n + (counts[s] || 0), 0);
  const parts = [
    pending
      ? `${count(pending)} pending${counts.waiting ? ` (${count(counts.waiting)} waiting)` : ''}`
      : '',
    counts.parked ? `${count(counts.parked)} parked` : '',
    `${count(counts.done || 0)} done`,
  ].filter(Boolean);
  const dest = j.destination || {};
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
        if (r && r.note) toast(r.note);
        await refresh();
      } catch (err) {
        showError(err, `Could not ${run ? 'resume' : 'pause'} ${j.name}`);
        throw err;
      }
    },
  });
  toggle.dataset.job = j.name;
  // a source directory that is missing (or a file) keeps the job from its files: say so, with the fix
  const troubled = (j.sources || []).filter((s) => s.problem);
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
        badge(
          j.mode || 'watch',
          'muted',
          j.mode === 'scan' ? 'rescans only' : 'events and rescans',
        ),
        healthBadge(j.health),
        troubled.length > 0
          ? badge('source problem', 'bad', 'a source directory cannot be served')
          : undefined,
        j.paused ? badge('paused', 'warn') : undefined,
      ),
      h('div', { class: 'row-sub mono' }, (j.sources || []).map((s) => s.path).join(', ')),
      troubled.map((s) =>
        h(
          'div',
          { class: 'problem', dataset: { source: s.path } },
          h('div', { class: 'problem-cause' }, longText(s.problem.cause)),
          h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), s.problem.hint),
        ),
      ),
      h('div', { class: 'row-sub mono' }, `→ s3://${dest.bucket || '?'}/${dest.prefix || ''}`),
      h('div', { class: 'row-sub' }, parts.join(' · ')),
    ),
    toggle,
  );
}
