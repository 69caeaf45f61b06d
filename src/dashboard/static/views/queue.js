// Queue: what is left and when it will be done (at the throughput of the last minute), pending
// files (with the agent holding each one that uploads), files waiting for their destination or a
// retry, parked files with their cause and the fix (Retry one, a group of one cause, or all), the
// parked and waiting files grouped by cause, and skipped files (not sent on purpose: the key holds
// an object the overwrite policy keeps, or the content is in the store already) with the reason.
// Paged on the server.
import { debounce, empty, h, replace } from '../dom.js';
import { count, PENDING_STATES } from '../format.js';
import { announce, busy, pager, showError, toast } from '../ui.js';
import { tableHead } from './table.js';
import { etaLine } from './eta.js';
import { failureGroups } from './failure-groups.js';
import { fileRow } from './queue-row.js';

/** @typedef {import('../../types/api').FileRecord} FileRecord */
/** @typedef {'pending' | 'waiting' | 'parked' | 'skipped'} Section */

/** @type {readonly { state: Section, label: string, files: readonly string[] }[]} */
const TABS = [
  {
    state: 'pending',
    label: 'Pending',
    files: PENDING_STATES,
  },
  { state: 'waiting', label: 'Waiting', files: ['waiting'] },
  { state: 'parked', label: 'Parked', files: ['parked'] },
  { state: 'skipped', label: 'Skipped', files: ['skipped'] },
];
const LIMIT = 50;

/**
 * @param {HTMLElement} section
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @returns {import('../../types/dashboard').View}
 */
export function createQueue(section, ctx) {
  const { store, api, refresh, refreshFleet } = ctx;
  /** @type {Section} */
  let state = 'pending';
  let job = '';
  let offset = 0;
  let visible = false;

  const tabButtons = TABS.map((t) =>
    h(
      'button',
      {
        type: 'button',
        class: 'seg',
        dataset: { state: t.state },
        onclick: () => {
          state = t.state;
          offset = 0;
          void load();
        },
      },
      h('span', {}, t.label),
      h('span', { class: 'seg-n' }),
    ),
  );
  const jobSelect = h('select', { id: 'queue-job' });
  jobSelect.addEventListener('change', () => {
    job = jobSelect.value;
    offset = 0;
    void load();
  });
  const retryAll = h('button', { type: 'button', class: 'btn', id: 'retry-all' }, 'Retry all');
  retryAll.addEventListener('click', () => {
    void busy(
      retryAll,
      async () => {
        const r = await api('/retry', { method: 'POST', body: {} });
        const n = r.released;
        toast(`${count(n)} file${n === 1 ? '' : 's'} released for another try.`, 'ok');
        announce(`${n} files released for another try`);
        await refresh();
        await load();
      },
      'Retry all',
    );
  });
  const body = h('div', { class: 'table-wrap' });
  const eta = h('p', { class: 'queue-eta', id: 'queue-eta' });
  const reloadAll = async () => {
    await refresh();
    await load();
  };
  const groups = failureGroups(ctx, { onRetried: reloadAll });
  const pages = pager({
    label: 'Queue pages',
    onPage: (o) => {
      offset = o;
      void load();
    },
  });

  replace(
    section,
    h(
      'div',
      { class: 'view-head' },
      h('h1', { id: 'h-queue' }, 'Queue'),
      h('div', { class: 'seg-group', role: 'group', 'aria-label': 'Which files' }, tabButtons),
    ),
    eta,
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'field field-inline' }, h('span', {}, 'Job'), jobSelect),
      h('span', { class: 'spacer' }),
      retryAll,
    ),
    groups.el,
    h('section', { class: 'panel panel-flush' }, body, pages.el),
  );

  /** What is left (of the job chosen, or of every job not paused) and when it will be done. */
  const drawEta = () => {
    const stats = store.stats;
    const s = stats && (job ? stats.jobs.find((j) => j.name === job) : stats.total);
    if (!stats || !s) {
      replace(eta);
      return;
    }
    replace(eta, etaLine(s, stats.windowMs));
  };

  const drawTabs = () => {
    /** @type {Partial<Record<string, number>>} */
    const f = store.status?.files ?? {};
    for (const [i, t] of TABS.entries()) {
      const btn = tabButtons[i];
      if (!btn) continue;
      btn.setAttribute('aria-pressed', t.state === state ? 'true' : 'false');
      const n = t.files.reduce((s, k) => s + (f[k] ?? 0), 0);
      const label = btn.querySelector('.seg-n');
      if (label) label.textContent = count(n);
      btn.classList.toggle('seg-bad', t.state === 'parked' && n > 0);
    }
    const names = store.jobs.map((j) => j.name);
    const have = [...jobSelect.options].map((o) => o.value).slice(1);
    if (have.join('\n') !== names.join('\n')) {
      replace(
        jobSelect,
        h('option', { value: '' }, 'All jobs'),
        names.map((n) => h('option', { value: n }, n)),
      );
      jobSelect.value = names.includes(job) ? job : '';
    }
    retryAll.hidden = state === 'pending' || state === 'skipped';
    groups.el.hidden = state === 'pending' || state === 'skipped';
    drawEta();
  };

  let seq = 0;
  const load = async () => {
    drawTabs();
    const mine = ++seq;
    try {
      // pending files name their holder: the agents are looked at again with them
      const [r] = await Promise.all([
        api('/queue', { params: { state, job, limit: LIMIT, offset } }),
        state === 'pending' ? refreshFleet() : undefined,
        groups.el.hidden ? undefined : groups.load(job),
      ]);
      if (mine !== seq) return;
      const items = r.items;
      const total = r.total;
      if (items.length === 0 && offset > 0 && total > 0) {
        offset = Math.max(0, Math.floor((total - 1) / LIMIT) * LIMIT);
        await load();
        return;
      }
      draw(items);
      pages.update({ offset, limit: LIMIT, total, shown: items.length });
      pages.el.hidden = total <= LIMIT;
    } catch (err) {
      if (mine === seq) showError(err, 'Loading the queue failed');
    }
  };
  const loadSoon = debounce(() => {
    if (visible) void load();
  }, 400);

  /** @param {FileRecord[]} items */
  const draw = (items) => {
    if (items.length === 0) {
      const text =
        state === 'pending'
          ? 'No files are pending.'
          : state === 'waiting'
            ? 'No files are waiting.'
            : state === 'skipped'
              ? 'No skipped files. A file is skipped when its key holds an object the overwrite policy keeps, or its content is in the store already.'
              : 'No parked files. Files that cannot be uploaded are parked here with the reason.';
      replace(body, empty(text));
      return;
    }
    const showAction = state === 'waiting' || state === 'parked';
    replace(
      body,
      h(
        'table',
        { class: 'table', id: 'queue-table' },
        tableHead([
          'File',
          'Job',
          'Size',
          'State',
          state === 'pending' ? 'Held by' : null,
          state === 'pending' ? 'Note' : 'Why',
          'Tries',
          'Updated',
          showAction ? 'Action' : null,
        ]),
        h(
          'tbody',
          {},
          items.map((f) => fileRow(f, { section: state, showAction, ctx, onRetried: reloadAll })),
        ),
      ),
    );
  };

  store.on('core', () => {
    if (visible) drawTabs();
  });
  store.on('event', () => {
    loadSoon();
  });
  // states change without events too (settled, claimed): look again now and then while shown
  setInterval(() => {
    if (visible && document.visibilityState === 'visible') void load();
  }, 5000);

  return {
    show(params) {
      visible = true;
      const s = TABS.find((t) => t.state === params.get('state'))?.state;
      if (s) {
        if (s !== state) offset = 0;
        state = s;
      }
      void load();
    },
    hide() {
      visible = false;
    },
  };
}
