// Transfers: every upload in progress with its progress bar, speed and ETA, live from the stream.
import { empty, h, replace } from '../dom.js';
import { rate } from '../format.js';
import { transferList } from './transfer-list.js';

/**
 * @param {HTMLElement} section
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @returns {import('../../types/dashboard').View}
 */
export function createTransfers(section, { store, api }) {
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('div', { id: 'transfers-list' });
  replace(
    section,
    h('div', { class: 'view-head' }, h('h1', { id: 'h-transfers' }, 'Transfers'), summary),
    h('section', { class: 'panel' }, body),
  );

  let visible = false;
  let lastCount = -1;
  const draw = () => {
    const items = store.transfers;
    const total = items.reduce((n, t) => n + t.bytesPerSec, 0);
    if (items.length !== lastCount) {
      summary.textContent =
        items.length === 0
          ? 'Nothing is uploading right now.'
          : `${items.length} upload${items.length === 1 ? '' : 's'} in progress`;
      lastCount = items.length;
    }
    summary.title = total > 0 ? `together ${rate(total)}` : '';
    replace(
      body,
      items.length === 0
        ? empty('Files appear here while they upload. Finished ones are in History.')
        : transferList(items),
    );
  };
  store.on('transfers', () => {
    if (visible) draw();
  });

  return {
    show() {
      visible = true;
      draw();
      // the stream only ticks while something uploads: ask once so a stale list is not shown
      void api('/transfers').then(
        (t) => {
          store.transfers = t.items;
          store.emit('transfers');
        },
        () => undefined,
      );
    },
    hide() {
      visible = false;
    },
  };
}
