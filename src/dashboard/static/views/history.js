// History: finished uploads, paged, filtered (job, result, text) and sorted on the server, so a
// journal with 100,000 rows costs one page per request. Each done row has a download link (on a
// versioned bucket, to the version the upload stored, which the row names).
import { debounce, empty, h, longText, replace } from '../dom.js';
import { baseName, bytes, count, dirName, duration, fullTime, rate, time } from '../format.js';
import { pager, showError } from '../ui.js';
import { openLink } from './history-link.js';
import { stateBadge, tableHead } from './table.js';

/** @typedef {import('../../types/api').HistoryRecord} HistoryRecord */
/**
 * The query of the page shown.
 * @typedef {{ job: string, result: string, q: string, sort: 'finishedAt' | 'size' | 'speed',
 *   order: 'asc' | 'desc', limit: number, offset: number }} HistoryQuery
 */

const RESULTS = ['done', 'failed', 'skipped', 'cancelled'];

/**
 * @param {HTMLElement} section
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @returns {import('../../types/dashboard').View}
 */
export function createHistory(section, { store, api }) {
  /** @type {HistoryQuery} */
  const q = { job: '', result: '', q: '', sort: 'finishedAt', order: 'desc', limit: 50, offset: 0 };
  let visible = false;

  const jobSelect = h('select', { id: 'history-job' });
  jobSelect.addEventListener('change', () => {
    set({ job: jobSelect.value });
  });
  const resultSelect = h(
    'select',
    { id: 'history-result' },
    h('option', { value: '' }, 'Any result'),
    RESULTS.map((r) => h('option', { value: r }, r)),
  );
  resultSelect.addEventListener('change', () => {
    set({ result: resultSelect.value });
  });
  const search = h('input', {
    type: 'search',
    id: 'history-q',
    placeholder: 'Path or key contains…',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const searchSoon = debounce(() => {
    set({ q: search.value.trim() });
  }, 300);
  search.addEventListener('input', searchSoon);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') set({ q: search.value.trim() });
  });
  const sizeSelect = h(
    'select',
    { id: 'history-limit' },
    [25, 50, 100, 200].map((n) =>
      h('option', { value: String(n), selected: n === q.limit }, `${n} rows`),
    ),
  );
  sizeSelect.addEventListener('change', () => {
    set({ limit: Number(sizeSelect.value) });
  });
  const summary = h('p', { class: 'muted', id: 'history-total', 'aria-live': 'polite' });
  const body = h('div', { class: 'table-wrap' });
  const pages = pager({
    label: 'History pages',
    onPage: (offset) => {
      set({ offset }, false);
    },
  });

  replace(
    section,
    h('div', { class: 'view-head' }, h('h1', { id: 'h-history' }, 'History'), summary),
    h(
      'form',
      {
        class: 'toolbar',
        role: 'search',
        'aria-label': 'Filter history',
        onsubmit: (e) => {
          e.preventDefault();
        },
      },
      h('label', { class: 'field field-grow' }, h('span', {}, 'Search'), search),
      h('label', { class: 'field' }, h('span', {}, 'Job'), jobSelect),
      h('label', { class: 'field' }, h('span', {}, 'Result'), resultSelect),
      h('label', { class: 'field' }, h('span', {}, 'Page size'), sizeSelect),
    ),
    h('section', { class: 'panel panel-flush' }, body, pages.el),
  );

  /**
   * Changes the query; any change but the page itself goes back to the first page.
   * @param {Partial<HistoryQuery>} change
   * @param {boolean} [resetOffset]
   */
  function set(change, resetOffset = true) {
    Object.assign(q, change);
    if (resetOffset) q.offset = 0;
    void load();
  }

  /** @param {HistoryQuery['sort']} sort */
  const sortBy = (sort) => {
    const order = q.sort === sort ? (q.order === 'desc' ? 'asc' : 'desc') : 'desc';
    set({ sort, order });
  };

  const drawJobs = () => {
    const names = store.jobs.map((j) => j.name);
    const have = [...jobSelect.options].map((o) => o.value).slice(1);
    if (have.join('\n') === names.join('\n')) return;
    replace(
      jobSelect,
      h('option', { value: '' }, 'All jobs'),
      names.map((n) => h('option', { value: n }, n)),
    );
    jobSelect.value = names.includes(q.job) ? q.job : '';
  };

  let seq = 0;
  /** @type {AbortController | null} */
  let controller = null;
  async function load() {
    drawJobs();
    const mine = ++seq;
    controller?.abort();
    controller = new AbortController();
    body.setAttribute('aria-busy', 'true');
    try {
      const r = await api('/history', {
        params: {
          job: q.job,
          result: q.result,
          q: q.q,
          sort: q.sort,
          order: q.order,
          limit: q.limit,
          offset: q.offset,
        },
        signal: controller.signal,
      });
      if (mine !== seq) return;
      const items = r.items;
      const total = r.total;
      const filtered = q.job || q.result || q.q;
      summary.textContent = `${count(total)} ${filtered ? 'matching ' : ''}upload${total === 1 ? '' : 's'}`;
      draw(items);
      pages.update({ offset: q.offset, limit: q.limit, total, shown: items.length });
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') return;
      if (mine === seq) showError(err, 'Loading the history failed');
    } finally {
      if (mine === seq) body.removeAttribute('aria-busy');
    }
  }
  const loadSoon = debounce(() => {
    if (visible) void load();
  }, 800);

  /** @param {HistoryRecord[]} items */
  function draw(items) {
    if (items.length === 0) {
      replace(
        body,
        empty(q.job || q.result || q.q ? 'No uploads match.' : 'Nothing has been uploaded yet.'),
      );
      return;
    }
    /**
     * @param {string} label
     * @param {HistoryQuery['sort']} sort
     * @param {string} [cls]
     * @returns {import('./table.js').SortColumn}
     */
    const sortable = (label, sort, cls) => ({
      label,
      sort,
      current: q.sort,
      order: q.order,
      onSort: (s) => {
        sortBy(/** @type {HistoryQuery['sort']} */ (s));
      },
      ...(cls === undefined ? {} : { class: cls }),
    });
    replace(
      body,
      h(
        'table',
        { class: 'table', id: 'history-table' },
        tableHead([
          sortable('Finished', 'finishedAt'),
          'File',
          'Job',
          'Result',
          sortable('Size', 'size', 'num'),
          sortable('Speed', 'speed', 'num'),
          'Took',
          'Link',
        ]),
        h(
          'tbody',
          {},
          items.map((r) => row(r)),
        ),
      ),
    );
  }

  /** @param {HistoryRecord} r */
  function row(r) {
    const link = h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        'aria-label': `Download link for ${baseName(r.sourcePath)}`,
      },
      'Link',
    );
    link.addEventListener('click', () => {
      void openLink(link, r, api);
    });
    return h(
      'tr',
      { dataset: { id: String(r.id), path: r.sourcePath } },
      h(
        'td',
        { 'data-label': 'Finished', title: fullTime(r.finishedAt), class: 'nowrap' },
        time(r.finishedAt),
      ),
      h(
        'td',
        { 'data-label': 'File', class: 'cell-file' },
        h('strong', { class: 'mono', title: r.sourcePath }, baseName(r.sourcePath)),
        h('span', { class: 'muted mono path-dir', title: r.sourcePath }, dirName(r.sourcePath)),
        h(
          'span',
          { class: 'mono small key', title: `s3://${r.bucket}/${r.key}` },
          `→ s3://${r.bucket}/${r.key}`,
        ),
        r.versionId
          ? h(
              'span',
              { class: 'mono small muted version', title: `version ${r.versionId}` },
              `version ${r.versionId}`,
            )
          : undefined,
        r.error ? h('div', { class: 'problem-cause small' }, longText(r.error)) : undefined,
      ),
      h('td', { 'data-label': 'Job' }, r.job ?? '–'),
      h('td', { 'data-label': 'Result' }, stateBadge(r.result)),
      h('td', { 'data-label': 'Size', class: 'num' }, bytes(r.size)),
      h('td', { 'data-label': 'Speed', class: 'num' }, rate(r.avgBytesPerSec)),
      h(
        'td',
        { 'data-label': 'Took', class: 'num', title: `${count(r.attempts)} attempt(s)` },
        duration(r.finishedAt - r.startedAt),
      ),
      h(
        'td',
        { 'data-label': 'Link', class: 'cell-action' },
        r.result === 'done' ? link : h('span', { class: 'muted' }, '–'),
      ),
    );
  }

  store.on('core', () => {
    if (visible) drawJobs();
  });
  store.on('event', (e) => {
    // new rows appear on the first page of the default view; other pages stay put while read
    if (
      q.offset === 0 &&
      q.sort === 'finishedAt' &&
      q.order === 'desc' &&
      /^file\.(done|skipped|parked|cancelled)$/.test(e.type)
    )
      loadSoon();
  });

  return {
    show() {
      visible = true;
      void load();
    },
    hide() {
      visible = false;
    },
  };
}
