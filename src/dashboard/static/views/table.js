// Table pieces shared by the views: the header row (optionally sortable) and state badges.
import { badge, h } from '../dom.js';

/**
 * A sortable column: its label, its sort key, the current sort and order, and what a click does.
 * @typedef {{ label: string, sort: string, current: string, order: 'asc' | 'desc',
 *   onSort: (sort: string) => void, class?: string }} SortColumn
 */

/** @type {Readonly<Record<string, import('../dom.js').Tone>>} */
const TONES = {
  settling: 'muted',
  queued: 'muted',
  uploading: 'info',
  verifying: 'info',
  done: 'ok',
  skipped: 'muted',
  waiting: 'warn',
  parked: 'bad',
  failed: 'bad',
  cancelled: 'muted',
};

/**
 * A file state or history result as a coloured pill, under its own name: a parked file is
 * "parked" here as in the CLI and the API (a history result "failed" is another thing).
 * @param {string} state
 */
export function stateBadge(state) {
  return badge(
    state,
    TONES[state] ?? 'muted',
    state === 'parked' ? 'parked until retried' : undefined,
  );
}

/**
 * A <thead>. Columns are strings, null (skipped), or { label, sort, current, order, onSort } for a
 * sortable column (a button in the header with aria-sort on the cell).
 * @param {readonly (string | null | undefined | SortColumn)[]} columns
 */
export function tableHead(columns) {
  return h(
    'thead',
    {},
    h(
      'tr',
      {},
      columns
        .filter((c) => c !== null && c !== undefined)
        .map((c) => {
          if (typeof c === 'string') return h('th', { scope: 'col' }, c);
          const active = c.current === c.sort;
          const arrow = active ? (c.order === 'asc' ? '▲' : '▼') : '↕';
          return h(
            'th',
            {
              scope: 'col',
              class: c.class,
              'aria-sort': active ? (c.order === 'asc' ? 'ascending' : 'descending') : 'none',
            },
            h(
              'button',
              {
                type: 'button',
                class: 'th-sort',
                onclick: () => {
                  c.onSort(c.sort);
                },
              },
              c.label,
              h('span', { class: 'th-arrow', 'aria-hidden': 'true' }, arrow),
            ),
          );
        }),
    ),
  );
}
