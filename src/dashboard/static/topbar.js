// The top bar (the switch of all processing, Reload config) and the counts in the tabs.
import { api } from './api.js';
import { byId } from './dom.js';
import { announce, busy, showError, toast } from './ui.js';

/** @typedef {import('../types/dashboard').Store} Store */

/**
 * The top bar's switch for all processing and its Reload config button.
 * @param {Store} store
 * @param {() => Promise<void>} loadCore loads the status again
 */
export function setupTopbar(store, loadCore) {
  const global = /** @type {HTMLButtonElement} */ (byId('global-pause'));
  const label = /** @type {HTMLElement} */ (global.querySelector('.switch-label'));
  global.setAttribute('aria-label', 'Run all jobs');
  store.on('core', () => {
    const paused = store.status?.paused === true;
    global.setAttribute('aria-checked', paused ? 'false' : 'true');
    if (global.getAttribute('aria-busy') !== 'true') global.disabled = false;
    label.textContent = paused ? 'All jobs paused' : 'All jobs running';
    byId('paused-strip').hidden = !paused;
  });
  global.addEventListener('click', () => {
    void busy(
      global,
      async () => {
        const pause = global.getAttribute('aria-checked') === 'true';
        store.status = {
          ...(await api(pause ? '/pause' : '/resume', { method: 'POST', body: {} })),
        };
        await loadCore();
        announce(pause ? 'All jobs paused' : 'All jobs resumed');
      },
      'Switching all jobs',
    );
  });

  const reload = /** @type {HTMLButtonElement} */ (byId('reload-config'));
  reload.addEventListener('click', () => {
    void busy(
      reload,
      async () => {
        try {
          await api('/config/reload', { method: 'POST', body: {} });
        } catch (err) {
          showError(err, 'The configuration was not reloaded');
          return;
        }
        toast('Configuration reloaded.', 'ok');
        await loadCore();
      },
      'Reloading the configuration',
    );
  });
}

/**
 * The counts in the tabs: pending and waiting files, parked ones, uploads running.
 * @param {Store} store
 */
export function setupCounts(store) {
  /**
   * @param {string} name
   * @param {number} n
   * @param {string} title
   */
  const set = (name, n, title) => {
    const el = document.querySelector(`[data-count="${name}"]`);
    if (!(el instanceof HTMLElement)) return;
    el.hidden = !n;
    el.textContent = n ? String(n) : '';
    el.title = title;
  };
  store.on('core', () => {
    const f = store.status?.files ?? {};
    set('queue', store.pendingCount() + (f.waiting ?? 0), 'pending and waiting files');
    set('parked', f.parked ?? 0, 'parked files (they need a person: see why in Queue)');
  });
  store.on('transfers', () => {
    set('transfers', store.transfers.length, 'uploading now');
  });
}
