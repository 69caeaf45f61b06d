// The dashboard's entry point: loading the shared state (store.js), the live stream, the hash
// router (#/overview, #/queue, …), the token prompt and the top bar (topbar.js).
import { api, ApiError, onUnauthorized, setToken, streamUrl } from './api.js';
import { byId, debounce } from './dom.js';
import { createStore } from './store.js';
import { setupCounts, setupTopbar } from './topbar.js';
import { announce, banner, showError } from './ui.js';
import { createOverview } from './views/overview.js';
import { createTransfers } from './views/transfers.js';
import { createQueue } from './views/queue.js';
import { createHistory } from './views/history.js';
import { createEvents } from './views/events.js';
import { createBackfill } from './views/backfill.js';

/** @typedef {import('../types/dashboard').View} View */

const store = createStore();

// ---------- core state ----------

/** @type {Promise<void> | null} */
let loading = null;
function loadCore() {
  loading ??= (async () => {
    try {
      const [status, jobs, destinations, transfers, fleet, stats] = await Promise.all([
        api('/status'),
        api('/jobs'),
        api('/destinations'),
        api('/transfers'),
        api('/agents'),
        api('/stats'),
      ]);
      store.status = status;
      store.jobs = jobs.items;
      store.destinations = destinations.items;
      store.transfers = transfers.items;
      store.fleet = fleet;
      store.stats = stats;
      banner('');
      store.emit('core');
      store.emit('fleet');
      store.emit('transfers');
    } catch (err) {
      if (err instanceof ApiError) showError(err, 'Loading the status failed');
      else banner('The agent cannot be reached.', 'Is s3ferry run still running? Retrying…');
    } finally {
      loading = null;
    }
  })();
  return loading;
}
const refreshSoon = debounce(loadCore, 300);

/**
 * Looks at the agents again (heartbeats and leases run out without any event). A failure is left
 * to loadCore, which asks for them too and says what is wrong.
 */
/** @type {Promise<void> | null} */
let fleetLoading = null;
function loadFleet() {
  fleetLoading ??= api('/agents')
    .then(
      (fleet) => {
        store.fleet = fleet;
        store.emit('fleet');
      },
      () => undefined,
    )
    .finally(() => {
      fleetLoading = null;
    });
  return fleetLoading;
}

/**
 * Looks at the throughput and the time left again while uploads run (the stream's `transfers`
 * ticks), at most every 2 s; between events nothing else would.
 */
let statsAt = 0;
function loadStatsSoon() {
  const now = Date.now();
  if (now - statsAt < 2000 || loading) return;
  statsAt = now;
  api('/stats').then(
    (stats) => {
      store.stats = stats;
      store.emit('core');
    },
    () => undefined,
  );
}

// ---------- live stream ----------

/** @type {EventSource | null} */
let source = null;
/**
 * @param {'live' | 'offline'} state
 * @param {string} text
 */
function setConn(state, text) {
  const el = byId('conn');
  el.dataset.state = state;
  const label = el.querySelector('.conn-text');
  if (label) label.textContent = text;
}

/**
 * The JSON of a stream message (the agent encodes it through the API's schemas).
 * @template T
 * @param {MessageEvent<unknown>} msg
 * @returns {T}
 */
function streamData(msg) {
  /** @type {unknown} */
  const data = JSON.parse(String(msg.data));
  return /** @type {T} */ (data);
}

function connectStream() {
  source?.close();
  source = new EventSource(streamUrl());
  source.addEventListener('open', () => {
    setConn('live', 'Live');
    refreshSoon();
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; a refused token or a stopped agent end up here too
    setConn('offline', 'Reconnecting…');
  });
  source.addEventListener('transfers', (/** @type {MessageEvent<unknown>} */ msg) => {
    /** @type {import('../types/api').ApiAnswer<'/transfers', 'GET'>} */
    const data = streamData(msg);
    store.transfers = data.items;
    store.throughput.tick(store.transfers);
    store.emit('transfers');
    loadStatsSoon();
  });
  source.addEventListener('event', (/** @type {MessageEvent<unknown>} */ msg) => {
    /** @type {import('../types/api').EventRecord} */
    const e = streamData(msg);
    store.emit('event', e);
    refreshSoon();
    if (e.type === 'destination.unhealthy') announce(`Destination unhealthy: ${e.message}`);
  });
}

// ---------- token prompt ----------

/** @type {import('./api.js').TokenPrompt} */
function promptForToken(why) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('token-dialog'));
  const form = byId('token-form');
  const input = /** @type {HTMLInputElement} */ (byId('token-input'));
  const error = byId('token-error');
  error.hidden = why !== 'refused';
  error.textContent = why === 'refused' ? 'That token was refused. Check it and try again.' : '';
  input.value = '';
  setConn('offline', 'Locked');
  return new Promise((resolve) => {
    /** @param {Event} event */
    const done = (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      setToken(token);
      form.removeEventListener('submit', done);
      dialog.close();
      resolve();
      // a stream opened with the old token was refused: open it again with the new one
      if (source) connectStream();
    };
    form.addEventListener('submit', done);
    // Escape must not leave the page without a way back to the prompt
    dialog.addEventListener(
      'cancel',
      (event) => {
        event.preventDefault();
      },
      { once: true },
    );
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

// ---------- router ----------

/** @type {Map<string, View & { title: string, section: HTMLElement }>} */
const views = new Map();
/** @type {string | null} */
let current = null;

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const name = (hash.split(/[/?]/)[0] || 'overview').toLowerCase();
  const params = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '');
  const target = views.has(name) ? name : 'overview';
  for (const [n, v] of views) {
    const on = n === target;
    v.section.hidden = !on;
    if (!on && v.hide) v.hide();
  }
  for (const a of document.querySelectorAll('.tabs a')) {
    if (!(a instanceof HTMLElement)) continue;
    if (a.dataset.view === target) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = views.get(target);
  if (!view) return;
  if (current !== target) {
    current = target;
    document.title = `${view.title} · s3ferry`;
  }
  view.show(params);
}

function main() {
  onUnauthorized(promptForToken);
  const ctx = { store, api, refresh: loadCore, refreshSoon, refreshFleet: loadFleet };
  /** @type {[string, string, (section: HTMLElement, ctx: import('../types/dashboard').ViewContext) => View][]} */
  const make = [
    ['overview', 'Overview', createOverview],
    ['transfers', 'Transfers', createTransfers],
    ['queue', 'Queue', createQueue],
    ['history', 'History', createHistory],
    ['events', 'Events', createEvents],
    ['backfill', 'Backfill', createBackfill],
  ];
  for (const [name, title, create] of make) {
    const section = byId(`view-${name}`);
    views.set(name, { title, section, ...create(section, ctx) });
  }
  setupTopbar(store, loadCore);
  setupCounts(store);
  window.addEventListener('hashchange', route);
  route();
  void loadCore().then(connectStream);
  // a safety net for missed stream messages, and the only source while the stream is down
  setInterval(() => {
    if (document.visibilityState === 'visible') void loadCore();
  }, 10_000);
}

main();
