// Overview: file counts and the queue's time left, jobs with their pause switches and throughput,
// destination health (cause and fix), throughput over the last minutes, what uploads right now,
// and the agents sharing the journal.
import { empty, h, replace } from '../dom.js';
import { count } from '../format.js';
import { renderThroughput } from '../chart.js';
import { transferList } from './transfer-list.js';
import { agentsPanel, heldByOthers } from './agents.js';
import { destRow, limitText } from './destination-card.js';
import { etaText, etaTitle, etaTone, leftText } from './eta.js';
import { jobRow } from './job-card.js';

/**
 * @param {HTMLElement} section
 * @param {import('../../types/dashboard').ViewContext} ctx
 * @returns {import('../../types/dashboard').View}
 */
export function createOverview(section, ctx) {
  const { store, api, refreshFleet } = ctx;
  const tiles = h('div', { class: 'tiles' });
  const jobs = h('div', { class: 'stack', id: 'jobs' });
  const dests = h('div', { class: 'stack', id: 'destinations', 'aria-live': 'polite' });
  const chart = h('div', { class: 'chart', id: 'throughput' });
  // the agent's bandwidth limit over all destinations, when one is set (docs/bandwidth.md)
  const agentLimit = h('span', { class: 'muted small', id: 'bwlimit-agent' });
  const live = h('div', { id: 'overview-transfers' });
  const agents = agentsPanel();
  replace(
    section,
    h('h1', { id: 'h-overview', class: 'visually-hidden' }, 'Overview'),
    tiles,
    h(
      'div',
      { class: 'grid-2' },
      panel('Jobs', jobs),
      panel('Throughput', chart, h('span', { class: 'muted small' }, 'last 5 minutes')),
    ),
    h(
      'div',
      { class: 'grid-2' },
      panel('Destinations', dests, agentLimit),
      panel(
        'Uploading now',
        live,
        h('a', { href: '#/transfers', class: 'small' }, 'All transfers'),
      ),
    ),
    panel('Agents', agents.body, agents.note, 'panel-flush panel-agents'),
  );

  const drawTiles = () => {
    const f = store.status?.files ?? {};
    const waiting = f.waiting ?? 0;
    const parked = f.parked ?? 0;
    replace(
      tiles,
      tile('Uploading', count(store.transfers.length), 'info', '#/transfers'),
      tile('Pending', count(store.pendingCount()), 'muted', '#/queue?state=pending'),
      tile('Waiting', count(waiting), waiting > 0 ? 'warn' : 'muted', '#/queue?state=waiting'),
      tile('Parked', count(parked), parked > 0 ? 'bad' : 'muted', '#/queue?state=parked'),
      tile('Done', count(f.done ?? 0), 'ok', '#/history'),
      etaTile(store.stats),
    );
  };

  const drawJobs = () => {
    if (store.jobs.length === 0) {
      replace(jobs, empty('No jobs are configured.'));
      return;
    }
    const stats = store.stats;
    replace(
      jobs,
      store.jobs.map((j) =>
        jobRow(j, ctx, {
          stats: stats?.jobs.find((s) => s.name === j.name),
          windowMs: stats?.windowMs ?? 60_000,
        }),
      ),
    );
  };

  const drawDests = () => {
    const limits = store.status?.bwlimit;
    const all = limits ? limitText(limits.agent) : '';
    agentLimit.textContent = all ? `All destinations: ${all}` : '';
    if (store.destinations.length === 0) {
      replace(dests, empty('No destinations.'));
      return;
    }
    replace(
      dests,
      store.destinations.map((d) =>
        destRow(
          d,
          ctx,
          limits?.destinations.find((l) => l.destination === d.name),
        ),
      ),
    );
  };

  const drawLive = () => {
    drawTiles();
    renderThroughput(chart, store.throughput);
    // the live uploads are this agent's: in a fleet, say that the others may be busy
    const others = heldByOthers(store.fleet);
    replace(
      live,
      store.transfers.length > 0
        ? transferList(store.transfers, { limit: 3 })
        : empty(
            others > 0
              ? `Nothing is uploading on this agent; other agents hold ${count(others)} file${others === 1 ? '' : 's'}.`
              : 'Nothing is uploading right now.',
          ),
    );
  };

  let seeded = false;
  const seed = async () => {
    if (seeded) return;
    seeded = true;
    try {
      const since = await api('/history', {
        params: { sort: 'finishedAt', order: 'desc', limit: 200 },
      });
      store.throughput.seed(since.items);
      renderThroughput(chart, store.throughput);
    } catch {
      seeded = false;
    }
  };

  let visible = false;
  store.on('core', () => {
    if (!visible) return;
    drawTiles();
    drawJobs();
    drawDests();
  });
  store.on('fleet', () => {
    if (!visible) return;
    agents.draw(store.fleet);
    if (store.transfers.length === 0) drawLive();
  });
  store.on('transfers', () => {
    if (visible) drawLive();
  });
  // the chart moves on while idle too (zeros scroll in), and so do the heartbeats' ages
  setInterval(() => {
    if (visible && document.visibilityState === 'visible') {
      renderThroughput(chart, store.throughput);
      agents.tick();
    }
  }, 2000);
  // heartbeats and leases run out without events: look at the agents again now and then
  setInterval(() => {
    if (visible && document.visibilityState === 'visible') void refreshFleet();
  }, 5000);

  return {
    show() {
      visible = true;
      drawTiles();
      drawJobs();
      drawDests();
      drawLive();
      agents.draw(store.fleet);
      void refreshFleet();
      void seed();
    },
    hide() {
      visible = false;
    },
  };
}

/**
 * @param {string} title
 * @param {HTMLElement} body
 * @param {HTMLElement} [aside]
 * @param {string} [cls]
 */
function panel(title, body, aside, cls) {
  const id = `p-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h(
    'section',
    { class: ['panel', cls], 'aria-labelledby': id },
    h('header', { class: 'panel-head' }, h('h2', { id }, title), aside),
    body,
  );
}

/**
 * @param {string} label
 * @param {string} value
 * @param {import('../dom.js').Tone} tone
 * @param {string} href
 * @param {string} [title]
 * @param {boolean} [text] the value is words (a time, "stalled"), set smaller than a count
 */
function tile(label, value, tone, href, title, text = false) {
  return h(
    'a',
    { class: `tile tile-${tone}`, href, title, dataset: { tile: label.toLowerCase() } },
    h('span', { class: ['tile-n', text && 'tile-text'] }, value),
    h('span', { class: 'tile-label' }, label),
  );
}

/**
 * The queue's time left at the throughput of the last minute (every job that is not paused).
 * @param {import('../../types/api').Stats | null} stats
 */
function etaTile(stats) {
  if (!stats) return tile('Time left', '…', 'muted', '#/queue', undefined, true);
  const { eta, left } = stats.total;
  return tile(
    'Time left',
    etaText(eta),
    etaTone(eta),
    '#/queue',
    `${leftText(left)}; ${etaTitle(eta, stats.windowMs)}`,
    true,
  );
}
