// The dashboard's entry point: shared state (status, jobs, destinations, live transfers), the
// live stream, the hash router (#/overview, #/queue, …), the token prompt and the top bar.
import { api, ApiError, onUnauthorized, setToken, streamUrl } from './api.js';
import { createThroughput } from './chart.js';
import { debounce } from './dom.js';
import { PENDING_STATES } from './format.js';
import { announce, banner, busy, showError, toast } from './ui.js';
import { createOverview } from './views/overview.js';
import { createTransfers } from './views/transfers.js';
import { createQueue } from './views/queue.js';
import { createHistory } from './views/history.js';
import { createEvents } from './views/events.js';
import { createBackfill } from './views/backfill.js';

/**
 * Shared state and a tiny pub/sub: 'core' (status, jobs, destinations), 'fleet' (the agents
 * sharing the journal), 'transfers', 'event'.
 */
function createStore() {
  const listeners = new Map();
  return {
    status: null,
    jobs: [],
    destinations: [],
    /** GET /agents: { self, shared, leaseMs, items }, null until first loaded. */
    fleet: null,
    transfers: [],
    throughput: createThroughput(),
    on(type, fn) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type).add(fn);
    },
    emit(type, payload) {
      for (const fn of listeners.get(type) || []) {
        try {
          fn(payload);
        } catch (err) {
          console.error(err);
        }
      }
    },
    /** Files waiting for their first or next try (not parked, not done). */
    pendingCount() {
      const f = (this.status && this.status.files) || {};
      return PENDING_STATES.reduce((n, s) => n + (f[s] || 0), 0);
    },
  };
}

const store = createStore();

// ---------- core state ----------

let loading = null;
async function loadCore() {
  loading ??= (async () => {
    try {
      const [status, jobs, destinations, transfers, fleet] = await Promise.all([
        api('/status'),
        api('/jobs'),
        api('/destinations'),
        api('/transfers'),
        api('/agents'),
      ]);
      store.status = status;
      store.jobs = jobs.items || [];
      store.destinations = destinations.items || [];
      store.transfers = transfers.items || [];
      store.fleet = fleet;
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

// ---------- live stream ----------

let source = null;
function setConn(state, text) {
  const el = document.getElementById('conn');
  el.dataset.state = state;
  el.querySelector('.conn-text').textContent = text;
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
  source.addEventListener('transfers', (msg) => {
    const data = JSON.parse(msg.data);
    store.transfers = data.items || [];
    store.throughput.tick(store.transfers);
    store.emit('transfers');
  });
  source.addEventListener('event', (msg) => {
    const e = JSON.parse(msg.data);
    store.emit('event', e);
    refreshSoon();
    if (e.type === 'destination.unhealthy') announce(`Destination unhealthy: ${e.message}`);
  });
}

// ---------- token prompt ----------

function promptForToken(why) {
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const error = document.getElementById('token-error');
  error.hidden = why !== 'refused';
  error.textContent = why === 'refused' ? 'That token was refused. Check it and try again.' : '';
  input.value = '';
  setConn('offline', 'Locked');
  return new Promise((resolve) => {
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
    dialog.addEventListener('cancel', (event) => event.preventDefault(), { once: true });
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

// ---------- top bar ----------

function setupTopbar() {
  const global = document.getElementById('global-pause');
  const label = global.querySelector('.switch-label');
  global.setAttribute('aria-label', 'Run all jobs');
  store.on('core', () => {
    const paused = Boolean(store.status && store.status.paused);
    global.setAttribute('aria-checked', paused ? 'false' : 'true');
    if (global.getAttribute('aria-busy') !== 'true') global.disabled = false;
    label.textContent = paused ? 'All jobs paused' : 'All jobs running';
    document.getElementById('paused-strip').hidden = !paused;
  });
  global.addEventListener('click', () =>
    busy(
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
    ),
  );

  const reload = document.getElementById('reload-config');
  reload.addEventListener('click', () =>
    busy(
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
    ),
  );
}

// ---------- counts in the tabs ----------

function setupCounts() {
  const set = (name, n, title) => {
    const el = document.querySelector(`[data-count="${name}"]`);
    el.hidden = !n;
    el.textContent = String(n || '');
    el.title = title;
  };
  store.on('core', () => {
    const f = (store.status && store.status.files) || {};
    set('queue', store.pendingCount() + (f.waiting || 0), 'pending and waiting files');
    set('parked', f.parked || 0, 'parked files (they need a person: see why in Queue)');
  });
  store.on('transfers', () => set('transfers', store.transfers.length, 'uploading now'));
}

// ---------- router ----------

const views = new Map();
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
    if (a.dataset.view === target) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = views.get(target);
  if (current !== target) {
    current = target;
    document.title = `${view.title} · s3ferry`;
  }
  view.show(params);
}

function main() {
  onUnauthorized(promptForToken);
  const ctx = { store, api, refresh: loadCore, refreshSoon, refreshFleet: loadFleet };
  const make = [
    ['overview', 'Overview', createOverview],
    ['transfers', 'Transfers', createTransfers],
    ['queue', 'Queue', createQueue],
    ['history', 'History', createHistory],
    ['events', 'Events', createEvents],
    ['backfill', 'Backfill', createBackfill],
  ];
  for (const [name, title, create] of make) {
    const section = document.getElementById(`view-${name}`);
    views.set(name, { title, section, ...create(section, ctx) });
  }
  setupTopbar();
  setupCounts();
  window.addEventListener('hashchange', route);
  route();
  void loadCore().then(connectStream);
  // a safety net for missed stream messages, and the only source while the stream is down
  setInterval(() => {
    if (document.visibilityState === 'visible') void loadCore();
  }, 10_000);
}

main();
