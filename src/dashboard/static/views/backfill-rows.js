// The pieces of the backfill picker: the trail of folders, the rows (a folder to open, a file to
// tick with its size, time and state) and the notice of what a backfill queued and skipped.
import { badge, h } from '../dom.js';
import { bytes, count, fullTime, time } from '../format.js';
import { stateBadge } from './table.js';

/** @typedef {import('../../types/api').BrowseEntry} BrowseEntry */

/**
 * The folder shown, as a trail of buttons: the source, then each folder down to this one.
 * @param {import('../../types/api').BrowseAnswer} listing
 * @param {(rel: string) => void} go opens a folder (relative to the source)
 */
export function crumbTrail(listing, go) {
  const parts = listing.path.split('/').filter(Boolean);
  return [
    h(
      'button',
      {
        type: 'button',
        class: 'crumb',
        onclick: () => {
          go('');
        },
      },
      listing.root,
    ),
    parts.map((p, i) => [
      h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/'),
      i === parts.length - 1
        ? h('span', { class: 'crumb crumb-here', 'aria-current': 'location' }, p)
        : h(
            'button',
            {
              type: 'button',
              class: 'crumb',
              onclick: () => {
                go(parts.slice(0, i + 1).join('/'));
              },
            },
            p,
          ),
    ]),
  ];
}

/**
 * A folder's row: its name opens it.
 * @param {BrowseEntry} e
 * @param {() => void} open
 */
export function dirRow(e, open) {
  return h(
    'tr',
    { class: 'is-dir' },
    h('td', { class: 'cell-check' }),
    h(
      'td',
      { 'data-label': 'Name', class: 'cell-file' },
      h(
        'button',
        {
          type: 'button',
          class: 'link-button',
          onclick: open,
        },
        h('span', { class: 'folder', 'aria-hidden': 'true' }),
        `${e.name}/`,
      ),
    ),
    h('td', { 'data-label': 'Size', class: 'num muted' }, ''),
    h('td', { 'data-label': 'Modified', title: fullTime(e.mtimeMs) }, time(e.mtimeMs)),
    h('td', { 'data-label': 'State' }),
  );
}

/**
 * A file's row, with its checkbox (`box`, whose id is `id`).
 * @param {BrowseEntry} e
 * @param {string} abs its absolute path
 * @param {HTMLInputElement} box
 * @param {string} id
 */
export function fileRow(e, abs, box, id) {
  return h(
    'tr',
    { dataset: { path: abs } },
    h('td', { class: 'cell-check' }, box),
    h(
      'td',
      { 'data-label': 'Name', class: 'cell-file' },
      h('label', { for: id, class: 'mono' }, e.name),
    ),
    h('td', { 'data-label': 'Size', class: 'num' }, bytes(e.size)),
    h('td', { 'data-label': 'Modified', title: fullTime(e.mtimeMs) }, time(e.mtimeMs)),
    h(
      'td',
      { 'data-label': 'State' },
      e.state
        ? stateBadge(e.state)
        : badge('not seen', 'muted', 'the agent has no record of this file'),
    ),
  );
}

/**
 * What a backfill did: the files queued (the first 50) and skipped (the first 100, with why).
 * @param {import('../../types/api').BackfillAnswer} r
 */
export function backfillNotice(r) {
  const { queued, skipped } = r;
  return h(
    'div',
    { class: ['notice', queued.length > 0 ? 'notice-ok' : 'notice-warn'] },
    h('strong', {}, `Queued ${count(queued.length)} file${queued.length === 1 ? '' : 's'}`),
    skipped.length > 0 ? `, skipped ${count(skipped.length)}` : '',
    '.',
    queued.length > 0
      ? h(
          'ul',
          { class: 'plain mono small' },
          queued.slice(0, 50).map((p) => h('li', {}, p.path)),
        )
      : undefined,
    skipped.length > 0
      ? h(
          'ul',
          { class: 'plain small' },
          skipped
            .slice(0, 100)
            .map((s) => h('li', {}, h('span', { class: 'mono' }, s.path), ': ', s.reason)),
        )
      : undefined,
    queued.length > 0
      ? h('p', { class: 'small' }, h('a', { href: '#/queue' }, 'See the queue'))
      : undefined,
  );
}
