// Shared pieces: toasts, screen-reader announcements, the error banner, the pager, and buttons
// that show they are busy.
import { h, replace } from './dom.js';
import { ApiError } from './api.js';
import { count } from './format.js';

/**
 * Says `text` to screen readers (the visually hidden aria-live region).
 * @param {string} text
 */
export function announce(text) {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.textContent = '';
  // a new text node in a later frame, so that repeating the same message is announced again
  requestAnimationFrame(() => {
    el.textContent = text;
  });
}

/**
 * A short message at the bottom of the screen (also read out: the region is aria-live).
 * @param {string} text
 * @param {import('./dom.js').Tone} [tone]
 * @param {Node} [extra]
 */
export function toast(text, tone = 'info', extra) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
  const el = h(
    'div',
    { class: `toast toast-${tone}` },
    h('div', { class: 'toast-body' }, text, extra),
    close,
  );
  const remove = () => {
    el.remove();
  };
  close.addEventListener('click', remove);
  box.append(el);
  while (box.children.length > 4) box.firstElementChild?.remove();
  setTimeout(remove, tone === 'bad' ? 12_000 : 6_000);
}

/**
 * Shows an ApiError (or any error) as a toast with its hint.
 * @param {unknown} err
 * @param {string} [what]
 */
export function showError(err, what) {
  const message = err instanceof Error ? err.message : String(err);
  const hint =
    err instanceof ApiError && err.hint ? h('div', { class: 'toast-hint' }, err.hint) : undefined;
  toast(what ? `${what}: ${message}` : message, 'bad', hint);
}

/**
 * The banner at the top of the page (e.g. the agent cannot be reached); '' hides it.
 * @param {string} text
 * @param {string} [hint]
 */
export function banner(text, hint) {
  const el = document.getElementById('banner');
  if (!el) return;
  if (!text) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  replace(el, h('strong', {}, text), hint ? h('span', { class: 'banner-hint' }, hint) : undefined);
  el.hidden = false;
}

/**
 * Runs `action` with the button disabled and marked busy; errors become a toast.
 * Resolves to the action's result, or undefined when it failed.
 * @template T
 * @param {HTMLButtonElement} button
 * @param {() => Promise<T>} action
 * @param {string} [what]
 * @returns {Promise<T | undefined>}
 */
export async function busy(button, action, what) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (err) {
    showError(err, what);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * A pager for offset paging: « ‹ "51–100 of 100,000" › ». `onPage(offset)` is called on clicks.
 * update({ offset, limit, total, shown }) redraws it.
 * @param {{ label: string, onPage: (offset: number) => void }} options
 */
export function pager({ label, onPage }) {
  /** @typedef {{ offset: number, limit: number, total: number, shown: number }} PagerState */
  /** @type {PagerState} */
  let state = { offset: 0, limit: 50, total: 0, shown: 0 };
  /**
   * @param {string} text
   * @param {string} aria
   * @param {() => number} to
   */
  const mk = (text, aria, to) =>
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-quiet btn-icon',
        'aria-label': aria,
        title: aria,
        onclick: () => {
          onPage(to());
        },
      },
      text,
    );
  const first = mk('«', 'First page', () => 0);
  const prev = mk('‹', 'Previous page', () => Math.max(0, state.offset - state.limit));
  const next = mk('›', 'Next page', () => state.offset + state.limit);
  const last = mk('»', 'Last page', () =>
    Math.max(0, Math.floor((state.total - 1) / state.limit) * state.limit),
  );
  const info = h('span', { class: 'pager-info', 'aria-live': 'polite' });
  const el = h(
    'nav',
    { class: 'pager', 'aria-label': label, hidden: true },
    first,
    prev,
    info,
    next,
    last,
  );
  /** @param {Partial<PagerState>} s */
  const update = (s) => {
    state = { ...state, ...s };
    const { offset, limit, total, shown } = state;
    el.hidden = false;
    const page = Math.floor(offset / limit) + 1;
    const pages = Math.max(1, Math.ceil(total / limit));
    if (total === 0) info.textContent = 'No rows';
    else
      replace(
        info,
        `${count(offset + 1)}–${count(offset + shown)} of ${count(total)}`,
        h('span', { class: 'pager-page' }, ` · page ${count(page)} of ${count(pages)}`),
      );
    first.disabled = prev.disabled = offset === 0;
    next.disabled = last.disabled = offset + limit >= total;
  };
  return { el, update };
}
