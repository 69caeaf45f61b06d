// Backfill: pick a job, browse its source directories, tick files (or type a glob), and queue them
// now — for files the watcher will never report (older than the agent, or a scan job between
// rescans). The agent applies the job's filters and says what it skipped and why.
import { empty, h, replace } from '../dom.js';
import { count } from '../format.js';
import { announce, busy, showError } from '../ui.js';
import { backfillNotice, crumbTrail, dirRow, fileRow } from './backfill-rows.js';

/** @typedef {import('../../types/api').BrowseAnswer} BrowseAnswer */
/** @typedef {import('../../types/api').BrowseEntry} BrowseEntry */

/**
 * @param {HTMLElement} section
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @returns {import('../../types/dashboard').View}
 */
export function createBackfill(section, { store, api, refreshSoon }) {
  let visible = false;
  let job = '';
  let source = '';
  /** @type {BrowseAnswer | null} the browse answer */
  let listing = null;
  /** @type {Set<string>} absolute paths */
  const selected = new Set();

  const jobSelect = h('select', { id: 'backfill-job' });
  jobSelect.addEventListener('change', () => {
    pickJob(jobSelect.value);
  });
  const sourceSelect = h('select', { id: 'backfill-source' });
  sourceSelect.addEventListener('change', () => {
    pickSource(sourceSelect.value);
  });
  const sourceField = h('label', { class: 'field' }, h('span', {}, 'Source'), sourceSelect);
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Folder' });
  const body = h('div', { class: 'table-wrap', id: 'backfill-list' });
  const glob = h('input', {
    type: 'text',
    id: 'backfill-glob',
    placeholder: 'e.g. **/*.mp4 or 2023/**',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const queueBtn = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', id: 'backfill-queue' },
    'Queue',
  );
  const selection = h('span', { class: 'muted', 'aria-live': 'polite' });
  const result = h('div', { class: 'backfill-result', id: 'backfill-result', role: 'status' });

  const form = h(
    'form',
    {
      class: 'backfill-actions',
      onsubmit: (e) => {
        e.preventDefault();
        void submit();
      },
    },
    h(
      'label',
      { class: 'field field-grow' },
      h('span', {}, 'Or a pattern (relative to the source)'),
      glob,
    ),
    h('div', { class: 'backfill-go' }, selection, queueBtn),
  );
  glob.addEventListener('input', () => {
    drawSelection();
  });

  replace(
    section,
    h(
      'div',
      { class: 'view-head' },
      h('h1', { id: 'h-backfill' }, 'Backfill'),
      h(
        'p',
        { class: 'muted' },
        'Queue files that are already there: older files, or a scan job between rescans.',
      ),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'field' }, h('span', {}, 'Job'), jobSelect),
      sourceField,
    ),
    h(
      'section',
      { class: 'panel panel-flush' },
      h('div', { class: 'panel-pad' }, crumbs),
      body,
      h('div', { class: 'panel-pad' }, form),
    ),
    result,
  );

  const jobInfo = () => store.jobs.find((j) => j.name === job);

  function drawJobs() {
    const names = store.jobs.map((j) => j.name);
    const have = [...jobSelect.options].map((o) => o.value);
    if (have.join('\n') !== names.join('\n')) {
      replace(
        jobSelect,
        names.map((n) => h('option', { value: n }, n)),
      );
    }
    const first = names[0];
    if (!names.includes(job) && first !== undefined) pickJob(first);
    else jobSelect.value = job;
  }

  /** @param {string} name */
  function pickJob(name) {
    job = name;
    jobSelect.value = name;
    const sources = jobInfo()?.sources ?? [];
    replace(
      sourceSelect,
      sources.map((s) => h('option', { value: s.path }, s.path)),
    );
    sourceField.hidden = sources.length < 2;
    pickSource(sources[0]?.path ?? '');
  }

  /** @param {string} path */
  function pickSource(path) {
    source = path;
    sourceSelect.value = path;
    selected.clear();
    replace(result);
    void browse('');
  }

  const PAGE = 500;
  let seq = 0;
  /**
   * Lists `rel` under the chosen source; `more` appends the next page of a big directory.
   * @param {string} rel
   * @param {boolean} [more]
   */
  async function browse(rel, more = false) {
    if (!job) return;
    const mine = ++seq;
    const offset = more && listing ? listing.entries.length : 0;
    body.setAttribute('aria-busy', 'true');
    try {
      const r = await api('/browse', {
        params: {
          job,
          root: sourceCount() > 1 ? source : undefined,
          path: rel,
          limit: PAGE,
          offset,
        },
      });
      if (mine !== seq) return;
      listing = more && listing ? { ...r, entries: [...listing.entries, ...r.entries] } : r;
      draw(listing);
    } catch (err) {
      if (mine === seq) {
        replace(body, empty(err instanceof Error ? err.message : String(err)));
        showError(err, 'Browsing failed');
      }
    } finally {
      if (mine === seq) body.removeAttribute('aria-busy');
    }
  }
  const sourceCount = () => (jobInfo()?.sources ?? []).length;

  /** @param {...string} parts */
  const join = (...parts) => parts.filter(Boolean).join('/').replace(/\/+/g, '/');

  /** @param {BrowseAnswer} listing */
  function draw(listing) {
    /** @param {BrowseEntry} entry */
    const absOf = (entry) => join(listing.root, listing.path, entry.name);
    /** @param {BrowseEntry} entry */
    const relOf = (entry) => join(listing.path, entry.name);
    /** @param {string} rel */
    const go = (rel) => {
      void browse(rel);
    };
    replace(crumbs, crumbTrail(listing, go));
    const moreButton =
      listing.total > listing.entries.length
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              onclick: () => {
                void browse(listing.path, true);
              },
            },
            `Show more (${count(listing.total - listing.entries.length)} not shown)`,
          )
        : undefined;
    const entries = [...listing.entries].sort((a, b) =>
      a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1,
    );
    const files = entries.filter((e) => e.type === 'file');
    if (entries.length === 0) {
      replace(body, empty('This folder is empty.'));
      drawSelection();
      return;
    }
    const all = h('input', {
      type: 'checkbox',
      id: 'backfill-all',
      'aria-label': 'Select all files in this folder',
      disabled: files.length === 0,
    });
    const sync = () => {
      const n = files.filter((f) => selected.has(absOf(f))).length;
      all.checked = n > 0 && n === files.length;
      all.indeterminate = n > 0 && n < files.length;
      drawSelection();
    };
    /** @type {HTMLInputElement[]} */
    const boxes = [];
    all.addEventListener('change', () => {
      for (const f of files) {
        if (all.checked) selected.add(absOf(f));
        else selected.delete(absOf(f));
      }
      for (const b of boxes) b.checked = all.checked;
      sync();
    });
    const rows = entries.map((e) => {
      if (e.type === 'dir')
        return dirRow(e, () => {
          go(relOf(e));
        });
      const abs = absOf(e);
      const id = `bf-${Math.random().toString(36).slice(2)}`;
      const box = h('input', { type: 'checkbox', id, checked: selected.has(abs) });
      boxes.push(box);
      box.addEventListener('change', () => {
        if (box.checked) selected.add(abs);
        else selected.delete(abs);
        sync();
      });
      return fileRow(e, abs, box, id);
    });
    replace(
      body,
      h(
        'table',
        { class: 'table table-compact', id: 'backfill-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', class: 'cell-check' }, all),
            h('th', { scope: 'col' }, 'Name'),
            h('th', { scope: 'col', class: 'num' }, 'Size'),
            h('th', { scope: 'col' }, 'Modified'),
            h('th', { scope: 'col' }, 'State'),
          ),
        ),
        h('tbody', {}, rows),
      ),
      moreButton ? h('div', { class: 'panel-pad' }, moreButton) : undefined,
    );
    sync();
  }

  function drawSelection() {
    const n = selected.size;
    const pattern = glob.value.trim();
    selection.textContent =
      n === 0
        ? pattern
          ? 'files matching the pattern'
          : 'nothing selected'
        : `${count(n)} file${n === 1 ? '' : 's'} selected${pattern ? ' + the pattern' : ''}`;
    queueBtn.disabled = n === 0 && !pattern;
    queueBtn.textContent = n > 0 ? `Queue ${count(n)} file${n === 1 ? '' : 's'}` : 'Queue';
  }

  async function submit() {
    const pattern = glob.value.trim();
    if (selected.size === 0 && !pattern) return;
    const payload = {
      job,
      ...(selected.size > 0 ? { paths: [...selected] } : {}),
      ...(pattern ? { glob: pattern } : {}),
    };
    replace(result);
    const r = await busy(
      queueBtn,
      () => api('/backfill', { method: 'POST', body: payload }),
      'Backfill',
    );
    if (!r) return;
    const nQueued = r.queued.length;
    const skipped = r.skipped;
    replace(result, backfillNotice(r));
    announce(`Queued ${nQueued} files, skipped ${skipped.length}`);
    selected.clear();
    glob.value = '';
    refreshSoon();
    if (listing) await browse(listing.path);
  }

  store.on('core', () => {
    if (visible) drawJobs();
  });

  return {
    show() {
      visible = true;
      const before = job;
      drawJobs();
      // states move on while the view is away (queued -> done): list the folder again
      if (listing && job === before) void browse(listing.path);
    },
    hide() {
      visible = false;
    },
  };
}
