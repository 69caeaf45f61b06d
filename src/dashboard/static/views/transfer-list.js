// Live uploads as cards with a progress bar, speed and ETA (shared by Overview and Transfers).
import { h } from '../dom.js';
import { baseName, bytes, dirName, duration, rate } from '../format.js';

/** @typedef {import('../../types/api').Transfer} Transfer */

/**
 * One card per transfer; `limit` keeps the first n (the overview's short list).
 * @param {readonly Transfer[]} items
 * @param {{ limit?: number }} [options]
 */
export function transferList(items, { limit } = {}) {
  const shown = limit ? items.slice(0, limit) : items;
  const list = h(
    'ul',
    { class: 'transfers', 'aria-label': 'Uploads in progress' },
    shown.map((t) => transferCard(t)),
  );
  if (limit && items.length > limit) {
    list.append(
      h(
        'li',
        { class: 'more' },
        h('a', { href: '#/transfers' }, `and ${items.length - limit} more…`),
      ),
    );
  }
  return list;
}

/** @param {Transfer} t */
function transferCard(t) {
  const size = t.size;
  const done = Math.min(size, t.bytesDone);
  const pct = size > 0 ? Math.floor((done / size) * 100) : 0;
  const fill = h('div', { class: 'progress-fill' });
  fill.style.width = `${size > 0 ? (done / size) * 100 : 0}%`;
  const name = baseName(t.path);
  return h(
    'li',
    { class: 'transfer', dataset: { fileId: String(t.fileId) } },
    h(
      'div',
      { class: 'transfer-head' },
      h(
        'div',
        { class: 'transfer-name' },
        h('strong', { class: 'mono', title: t.path }, name),
        h('span', { class: 'muted mono path-dir', title: t.path }, dirName(t.path)),
      ),
      h('span', { class: 'transfer-pct' }, `${pct}%`),
    ),
    h(
      'div',
      {
        class: 'progress',
        role: 'progressbar',
        'aria-label': `Upload of ${name}`,
        'aria-valuemin': '0',
        'aria-valuemax': '100',
        'aria-valuenow': String(pct),
        'aria-valuetext': `${pct}%, ${bytes(done)} of ${bytes(size)}`,
      },
      fill,
    ),
    h(
      'div',
      { class: 'transfer-meta' },
      h('span', {}, `${bytes(done)} of ${bytes(size)}`),
      h('span', {}, rate(t.bytesPerSec)),
      h('span', {}, t.etaMs === null ? 'ETA –' : `ETA ${duration(t.etaMs)}`),
      h('span', { class: 'muted' }, `${t.job} → ${t.key}`),
    ),
  );
}
