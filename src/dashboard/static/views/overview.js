// Overview: file counts, jobs with their pause switches, destination health (cause and fix),
// throughput over the last minutes, what uploads right now, and the agents sharing the journal.
import { badge, empty, h, longText, replace, switchButton } from '../dom.js';
import { ago, count, fullTime, PENDING_STATES } from '../format.js';
import { renderThroughput } from '../chart.js';
import { announce, busy, showError, toast } from '../ui.js';
import { transferList } from './transfer-list.js';
import { agentsPanel, heldByOthers } from './agents.js';

export function createOverview(section, { store, api, refresh, refreshFleet }) {
  const tiles = h('div', { class: 'tiles' });
  const jobs = h('div', { class: 'stack', id: 'jobs' });
  const dests = h('div', { class: 'stack', id: 'destinations', 'aria-live': 'polite' });
  const chart = h('div', { class: 'chart', id: 'throughput' });
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
      panel('Destinations', dests),
      panel(
        'Uploading now',
        live,
        h('a', { href: '#/transfers', class: 'small' }, 'All transfers'),
      ),
    ),
    panel('Agents', agents.body, agents.note, 'panel-flush panel-agents'),
  );

  const drawTiles = () => {
    const f = (store.status && store.status.files) || {};
    replace(
      tiles,
      tile('Uploading', store.transfers.length, 'info', '#/transfers'),
      tile('Pending', store.pendingCount(), 'muted', '#/queue?state=pending'),
      tile(
        'Waiting',
        f.waiting || 0,
        (f.waiting || 0) > 0 ? 'warn' : 'muted',
        '#/queue?state=waiting',
      ),
      tile('Parked', f.parked || 0, (f.parked || 0) > 0 ? 'bad' : 'muted', '#/queue?state=parked'),
      tile('Done', f.done || 0, 'ok', '#/history'),
    );
  };

  const drawJobs = () => {
    if (store.jobs.length === 0) {
      replace(jobs, empty('No jobs are configured.'));
      return;
    }
    replace(
      jobs,
      store.jobs.map((j) => jobRow(j, api, refresh)),
    );
  };

  const drawDests = () => {
    if (store.destinations.length === 0) {
      replace(dests, empty('No destinations.'));
      return;
    }
    replace(
      dests,
      store.destinations.map((d) => destRow(d, api, refresh)),
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
      store.throughput.seed(since.items || []);
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

function panel(title, body, aside, cls) {
  const id = `p-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h(
    'section',
    { class: ['panel', cls], 'aria-labelledby': id },
    h('header', { class: 'panel-head' }, h('h2', { id }, title), aside),
    body,
  );
}

function tile(label, n, tone, href) {
  return h(
    'a',
    { class: `tile tile-${tone}`, href },
    h('span', { class: 'tile-n' }, count(n)),
    h('span', { class: 'tile-label' }, label),
  );
}

function healthBadge(health) {
  if (!health) return badge('unknown', 'muted');
  return health.healthy ? badge('healthy', 'ok') : badge('unhealthy', 'bad');
}

function jobRow(j, api, refresh) {
  const counts = j.counts || {};
  const pending = PENDING_STATES.reduce((n, s) => n + (counts[s] || 0), 0);
  const parts = [
    pending
      ? `${count(pending)} pending${counts.waiting ? ` (${count(counts.waiting)} waiting)` : ''}`
      : '',
    counts.parked ? `${count(counts.parked)} parked` : '',
    `${count(counts.done || 0)} done`,
  ].filter(Boolean);
  const dest = j.destination || {};
  const toggle = switchButton({
    checked: !j.paused,
    label: `Run job ${j.name}`,
    labelOn: 'Running',
    labelOff: 'Paused',
    onToggle: async (run) => {
      try {
        const r = await api(run ? '/resume' : '/pause', { method: 'POST', body: { job: j.name } });
        announce(`Job ${j.name} ${run ? 'resumed' : 'paused'}`);
        // resumed while all processing is paused: nothing moves yet, and the person must know
        if (r && r.note) toast(r.note);
        await refresh();
      } catch (err) {
        showError(err, `Could not ${run ? 'resume' : 'pause'} ${j.name}`);
        throw err;
      }
    },
  });
  toggle.dataset.job = j.name;
  // a source directory that is missing (or a file) keeps the job from its files: say so, with the fix
  const troubled = (j.sources || []).filter((s) => s.problem);
  return h(
    'article',
    { class: ['row-card', j.paused && 'is-paused'], dataset: { job: j.name } },
    h(
      'div',
      { class: 'row-main' },
      h(
        'div',
        { class: 'row-title' },
        h('strong', {}, j.name),
        badge(
          j.mode || 'watch',
          'muted',
          j.mode === 'scan' ? 'rescans only' : 'events and rescans',
        ),
        healthBadge(j.health),
        troubled.length > 0
          ? badge('source problem', 'bad', 'a source directory cannot be served')
          : undefined,
        j.paused ? badge('paused', 'warn') : undefined,
      ),
      h('div', { class: 'row-sub mono' }, (j.sources || []).map((s) => s.path).join(', ')),
      troubled.map((s) =>
        h(
          'div',
          { class: 'problem', dataset: { source: s.path } },
          h('div', { class: 'problem-cause' }, longText(s.problem.cause)),
          h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), s.problem.hint),
        ),
      ),
      h('div', { class: 'row-sub mono' }, `→ s3://${dest.bucket || '?'}/${dest.prefix || ''}`),
      h('div', { class: 'row-sub' }, parts.join(' · ')),
    ),
    toggle,
  );
}

function destRow(d, api, refresh) {
  const health = d.health || {};
  const retry = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      title:
        'Probe the destination again now, and release parked and waiting files for another try',
      'aria-label': `Retry ${d.name} now`,
    },
    'Retry now',
  );
  retry.addEventListener('click', () =>
    busy(
      retry,
      async () => {
        const r = await api('/retry', { method: 'POST', body: {} });
        const n = r && typeof r.released === 'number' ? r.released : 0;
        toast(
          `Destination probed again; ${n} file${n === 1 ? '' : 's'} released for another try.`,
          'ok',
        );
        await refresh();
      },
      'Retry',
    ),
  );
  const where = `s3://${d.bucket}/${d.prefix || ''}`;
  return h(
    'article',
    { class: ['row-card', !health.healthy && 'is-bad'], dataset: { destination: d.name } },
    h(
      'div',
      { class: 'row-main' },
      h('div', { class: 'row-title' }, h('strong', { class: 'mono' }, where), healthBadge(health)),
      d.endpoint ? h('div', { class: 'row-sub mono' }, d.endpoint) : undefined,
      capabilityLine(d.capabilities),
      health.healthy
        ? h(
            'div',
            { class: 'row-sub', title: fullTime(health.since) },
            `healthy since ${ago(health.since)}`,
          )
        : h(
            'div',
            { class: 'problem' },
            h(
              'div',
              { class: 'problem-cause' },
              health.code ? h('code', {}, health.code) : undefined,
              ' ',
              longText(health.cause || 'unhealthy'),
            ),
            health.hint
              ? h('div', { class: 'problem-hint' }, h('span', {}, 'Fix: '), health.hint)
              : undefined,
            h(
              'div',
              { class: 'problem-foot' },
              h(
                'span',
                { class: 'row-sub', title: fullTime(health.since) },
                `since ${ago(health.since)} · its files wait and go once a probe passes`,
              ),
              retry,
            ),
          ),
    ),
  );
}

// What the store accepts, as its capability probe last found (GET /api/v1/destinations).
const CAPABILITY_NAMES = [
  ['conditionalPut', 'conditional PUT'],
  ['tagging', 'tags'],
  ['objectLock', 'Object Lock'],
  ['versioning', 'versioning'],
  ['checksumCrc32', 'CRC32'],
  ['md5Etags', 'MD5 ETags'],
];

function capabilityLine(probed) {
  if (!probed || !probed.capabilities) return undefined;
  const c = probed.capabilities;
  const text = CAPABILITY_NAMES.map(([k, name]) => `${c[k] ? '✓' : '✗'} ${name}`).join(' · ');
  return h(
    'div',
    {
      class: 'row-sub small',
      dataset: { capabilities: '' },
      title: `what the store accepts, probed ${fullTime(probed.probedAt)}`,
    },
    text,
  );
}
