// Events: the journal's event log, newest first, paged backwards by id (keyset paging: stable
// while new events arrive). The first page follows the stream live.
import { badge, debounce, empty, h, longText, replace } from '../dom.js';
import { count, fullTime, time } from '../format.js';
import { showError } from '../ui.js';

const LIMIT = 50;
/** @typedef {import('../../types/api').EventRecord} EventRecord */

/** @type {Readonly<Record<EventRecord['level'], import('../dom.js').Tone>>} */
const TONE = { info: 'info', warn: 'warn', error: 'bad' };
const KNOWN_TYPES = [
  'agent.started',
  'agent.stopped',
  'config.reloaded',
  'config.warning',
  'destination.unhealthy',
  'destination.healthy',
  'file.done',
  'file.skipped',
  'file.waiting',
  'file.parked',
  'file.cancelled',
  'files.retry',
  'job.paused',
  'job.resumed',
  'source.error',
  'source.link-refused',
  'upload.failed',
];

/**
 * @param {HTMLElement} section
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @returns {import('../../types/dashboard').View}
 */
export function createEvents(section, { store, api }) {
  let visible = false;
  let type = '';
  /** @type {number[]} `before` ids of the pages above the current one; [] = the newest page. */
  let stack = [];
  let before = 0;
  /** @type {EventRecord[]} */
  let items = [];
  /** @type {number | undefined} */
  let total;

  const types = new Set(KNOWN_TYPES);
  const datalist = h('datalist', { id: 'event-types' });
  const typeInput = h('input', {
    type: 'search',
    id: 'events-type',
    list: 'event-types',
    placeholder: 'e.g. file.done',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const typeSoon = debounce(() => {
    type = typeInput.value.trim();
    stack = [];
    before = 0;
    void load();
  }, 300);
  typeInput.addEventListener('input', typeSoon);
  const list = h('ol', {
    class: 'events',
    id: 'events-list',
    'aria-label': 'Events, newest first',
  });
  const newer = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-quiet',
      onclick: () => {
        go(stack.pop() ?? 0);
      },
    },
    '‹ Newer',
  );
  const older = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Older ›');
  const info = h('span', { class: 'pager-info', 'aria-live': 'polite' });
  older.addEventListener('click', () => {
    const last = items[items.length - 1];
    if (!last) return;
    stack.push(before);
    go(last.id);
  });
  const newest = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-quiet',
      onclick: () => {
        stack = [];
        go(0);
      },
    },
    '« Newest',
  );

  replace(
    section,
    h('div', { class: 'view-head' }, h('h1', { id: 'h-events' }, 'Events')),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'field field-grow' }, h('span', {}, 'Type'), typeInput, datalist),
    ),
    h(
      'section',
      { class: 'panel panel-flush' },
      list,
      h('nav', { class: 'pager', 'aria-label': 'Event pages' }, newest, newer, info, older),
    ),
  );

  /** @param {number} b */
  function go(b) {
    before = b;
    void load();
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    try {
      const r = await api('/events', {
        params: { limit: LIMIT, before: before || undefined, type },
      });
      if (mine !== seq) return;
      items = r.items;
      total = r.total;
      draw();
    } catch (err) {
      if (mine === seq) showError(err, 'Loading events failed');
    }
  }

  function draw() {
    for (const e of items) types.add(e.type);
    if (datalist.children.length !== types.size) {
      replace(
        datalist,
        [...types].sort().map((t) => h('option', { value: t })),
      );
    }
    replace(
      list,
      items.length === 0
        ? h('li', {}, empty(type ? `No ${type} events.` : 'No events yet.'))
        : items.map((e) => eventItem(e)),
    );
    const first = stack.length === 0;
    newest.disabled = newer.disabled = first;
    older.disabled = items.length < LIMIT;
    info.textContent =
      items.length === 0
        ? ''
        : `${first ? 'Newest' : `Page ${stack.length + 1}`}${total === undefined ? '' : ` · ${count(total)} event${total === 1 ? '' : 's'}${type ? ` of type ${type}` : ''}`}`;
  }

  store.on('event', (e) => {
    types.add(e.type);
    if (!visible || before !== 0 || (type && e.type !== type)) return;
    if (items.some((x) => x.id === e.id)) return;
    items = [e, ...items].slice(0, LIMIT);
    if (total !== undefined) total += 1;
    draw();
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

/** @param {EventRecord} e */
function eventItem(e) {
  const tone = TONE[e.level];
  return h(
    'li',
    { class: `event event-${tone}`, dataset: { id: String(e.id), type: e.type } },
    h(
      'time',
      { class: 'event-time', datetime: new Date(e.at).toISOString(), title: fullTime(e.at) },
      time(e.at),
    ),
    badge(e.type, tone),
    h(
      'div',
      { class: 'event-body' },
      h('div', { class: 'event-msg' }, longText(e.message, 400)),
      e.key && e.path ? h('div', { class: 'muted mono small' }, e.key) : undefined,
    ),
  );
}
