// Queue: pending files (with the agent holding each one that uploads), files waiting for their
// destination or a retry, parked files with their cause and the fix (Retry one, or Retry all),
// and skipped files (not sent on purpose: the key holds an object the overwrite policy keeps,
// or the content is in the store already) with the reason. Paged on the server.
import { debounce, empty, h, longText, replace } from '../dom.js';
import {
  ago,
  baseName,
  bytes,
  count,
  dirName,
  fullTime,
  PENDING_STATES,
  reasonParts,
} from '../format.js';
import { announce, busy, pager, showError, toast } from '../ui.js';
import { stateBadge, tableHead } from './table.js';
import { holderCell } from './agents.js';

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

export function createQueue(section, { store, api, refresh, refreshFleet }) {
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
  const jobSelect = h('select', {
    id: 'queue-job',
    onchange: () => ((job = jobSelect.value), (offset = 0), void load()),
  });
  const retryAll = h('button', { type: 'button', class: 'btn', id: 'retry-all' }, 'Retry all');
  retryAll.addEventListener('click', () =>
    busy(
      retryAll,
      async () => {
        const r = await api('/retry', { method: 'POST', body: {} });
        const n = r && typeof r.released === 'number' ? r.released : 0;
        toast(`${count(n)} file${n === 1 ? '' : 's'} released for another try.`, 'ok');
        announce(`${n} files released for another try`);
        await refresh();
        await load();
      },
      'Retry all',
    ),
  );
  const body = h('div', { class: 'table-wrap' });
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
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'field field-inline' }, h('span', {}, 'Job'), jobSelect),
      h('span', { class: 'spacer' }),
      retryAll,
    ),
    h('section', { class: 'panel panel-flush' }, body, pages.el),
  );

  const drawTabs = () => {
    const f = (store.status && store.status.files) || {};
    for (const [i, t] of TABS.entries()) {
      const btn = tabButtons[i];
      btn.setAttribute('aria-pressed', t.state === state ? 'true' : 'false');
      const n = t.files.reduce((s, k) => s + (f[k] || 0), 0);
      btn.querySelector('.seg-n').textContent = count(n);
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
      ]);
      if (mine !== seq) return;
      const items = r.items || [];
      const total = typeof r.total === 'number' ? r.total : items.length;
      if (items.length === 0 && offset > 0 && total > 0) {
        offset = Math.max(0, Math.floor((total - 1) / LIMIT) * LIMIT);
        return load();
      }
      draw(items);
      pages.update({ offset, limit: LIMIT, total, shown: items.length });
      pages.el.hidden = total <= LIMIT;
    } catch (err) {
      if (mine === seq) showError(err, 'Loading the queue failed');
    }
  };
  const loadSoon = debounce(() => visible && load(), 400);

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
          items.map((f) => row(f, showAction)),
        ),
      ),
    );
  };

  const row = (f, showAction) => {
    // the reason comes as { code, message, hint }
    const parsed = reasonParts(f.reason);
    // a skipped file's reason is no failure, but its code says which kind (exists, duplicate)
    const code = parsed.code || (f.state === 'skipped' && f.reason ? String(f.reason.code) : '');
    const job = store.jobs.find((j) => j.name === f.job);
    const held =
      job && job.health && !job.health.healthy && f.state !== 'parked' ? job.health : null;
    // a pending file of an unhealthy destination waits for it: say so, with the destination's cause
    const paused =
      f.state === 'queued' && ((store.status && store.status.paused) || (job && job.paused));
    const cause =
      parsed.message ||
      (held ? `waits for its destination: ${held.cause}` : '') ||
      (paused ? `held: ${job && job.paused ? `job ${f.job}` : 'all processing'} is paused` : '');
    const problem = Boolean(parsed.code || held);
    const hint = parsed.hint || (held && !parsed.message ? held.hint : '');
    const retry = h(
      'button',
      { type: 'button', class: 'btn btn-small', 'aria-label': `Retry ${baseName(f.path)}` },
      'Retry',
    );
    retry.addEventListener('click', () =>
      busy(
        retry,
        async () => {
          const r = await api('/retry', { method: 'POST', body: { fileId: f.id } });
          const n = r && typeof r.released === 'number' ? r.released : 0;
          toast(
            n > 0
              ? `${baseName(f.path)} released for another try.`
              : `${baseName(f.path)} was not waiting any more.`,
            'ok',
          );
          announce(`${baseName(f.path)} released for another try`);
          await refresh();
          await load();
        },
        `Retry ${baseName(f.path)}`,
      ),
    );
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
      state === 'pending'
        ? h('td', { 'data-label': 'Held by', class: 'cell-holder' }, holderCell(store.fleet, f))
        : undefined,
      h(
        'td',
        { 'data-label': state === 'pending' ? 'Note' : 'Why', class: 'cell-why' },
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
  };

  store.on('core', () => visible && drawTabs());
  store.on('event', () => loadSoon());
  // states change without events too (settled, claimed): look again now and then while shown
  setInterval(() => {
    if (visible && document.visibilityState === 'visible') void load();
  }, 5000);

  return {
    show(params) {
      visible = true;
      const s = params && params.get('state');
      if (s && TABS.some((t) => t.state === s)) {
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

function inFuture(ms) {
  const s = Math.round((ms - Date.now()) / 1000);
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  return `at ${new Date(ms).toLocaleTimeString()}`;
}
