// The agents sharing the journal (GET /api/v1/agents): the Overview's Agents panel, and how the
// queue names the agent holding a file. With SQLite the list is this agent alone; with a shared
// PostgreSQL journal it is the fleet, and an agent that missed its lease shows as silent (its files
// go to the others).
import { badge, empty, h, replace } from '../dom.js';
import { ago, agoExact, count, duration, fullTime } from '../format.js';
import { announce } from '../ui.js';
import { tableHead } from './table.js';

/** @typedef {import('../../types/api').Fleet} Fleet */
/** @typedef {import('../../types/api').AgentItem} AgentItem */

const SILENT_TITLE = 'no heartbeat within the lease: its files are taken over by other agents';

/**
 * "host · pid 123" from an agent record, or from an id ("hostname:pid:random") alone.
 * @param {AgentItem | undefined} agent
 * @param {string | null} [id]
 */
function agentName(agent, id) {
  if (agent) return `${agent.hostname} · pid ${agent.pid}`;
  const m = /^(.*):(\d+):[^:]*$/.exec(id ?? '');
  return m ? `${m[1] ?? ''} · pid ${m[2] ?? ''}` : id || '?';
}

/** The "this agent" marker. */
function selfBadge() {
  return badge('this agent', 'muted', 'the agent serving this dashboard');
}

/** @param {AgentItem} agent */
function stateBadge(agent) {
  return agent.alive ? badge('alive', 'ok') : badge('silent', 'bad', SILENT_TITLE);
}

/**
 * How many files the other agents of the fleet hold (their uploads are not this agent's).
 * @param {Fleet | null} fleet
 */
export function heldByOthers(fleet) {
  return (fleet?.items ?? []).filter((a) => !a.self).reduce((n, a) => n + a.holding, 0);
}

/**
 * The Agents panel: `body` (the table) and `note` (the panel's aside); draw(fleet) after each look
 * at the API, tick() to move the relative times on in between. An agent turning silent (or back)
 * is said to screen readers; the table itself is not a live region (its times change every tick).
 */
export function agentsPanel() {
  const body = h('div', { class: 'table-wrap', id: 'agents' });
  const note = h('span', { class: 'muted small', id: 'agents-note' });
  /** @type {Map<string, boolean>} */
  const wasAlive = new Map();
  return {
    body,
    note,
    /** @param {Fleet | null} fleet */
    draw(fleet) {
      drawAgents(body, fleet);
      note.textContent = fleetNote(fleet);
      for (const a of fleet?.items ?? []) {
        const before = wasAlive.get(a.id);
        if (before !== undefined && before !== a.alive)
          announce(`Agent ${agentName(a)} ${a.alive ? 'is back' : 'is silent'}`);
        wasAlive.set(a.id, a.alive);
      }
    },
    tick: () => {
      tickAgents(body);
    },
  };
}

/**
 * The Agents panel's aside: what the journal is and how long a lease holds.
 * @param {Fleet | null} fleet
 */
function fleetNote(fleet) {
  if (!fleet) return '';
  if (!fleet.shared) return 'this agent alone: its journal is SQLite (a fleet shares PostgreSQL)';
  const n = fleet.items.length;
  const silent = fleet.items.filter((a) => !a.alive).length;
  return [
    `${count(n)} agent${n === 1 ? '' : 's'} on a shared journal`,
    silent ? `${count(silent)} silent` : '',
    `lease ${duration(fleet.leaseMs)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * Draws the agents into `el`: this agent first, then the others as the API orders them (most
 * recent heartbeat first, so silent ones sink). Times carry data-at, for {@link tickAgents}.
 * @param {HTMLElement} el
 * @param {Fleet | null} fleet
 */
function drawAgents(el, fleet) {
  const items = fleet ? [...fleet.items] : [];
  if (items.length === 0) {
    replace(el, empty(fleet ? 'No agent has sent a heartbeat yet.' : 'Loading the agents…'));
    return;
  }
  items.sort((a, b) => Number(b.self) - Number(a.self));
  replace(
    el,
    h(
      'table',
      { class: 'table', id: 'agents-table', 'aria-labelledby': 'p-agents' },
      tableHead(['Agent', 'PID', 'Version', 'Started', 'Last heartbeat', 'Files held', 'State']),
      h(
        'tbody',
        {},
        items.map((a) => agentRow(a)),
      ),
    ),
  );
}

/** @param {AgentItem} a */
function agentRow(a) {
  return h(
    'tr',
    {
      class: [!a.alive && 'is-silent', a.self && 'is-self'],
      dataset: {
        agentId: a.id,
        pid: String(a.pid),
        self: String(a.self),
        alive: String(a.alive),
      },
    },
    h(
      'td',
      { 'data-label': 'Agent' },
      h(
        'span',
        { class: 'agent-name' },
        h('strong', { class: 'mono', title: a.id }, a.hostname),
        a.self ? selfBadge() : undefined,
      ),
    ),
    h('td', { 'data-label': 'PID', class: 'mono' }, String(a.pid)),
    h('td', { 'data-label': 'Version', class: 'mono' }, a.version),
    h(
      'td',
      { 'data-label': 'Started', title: fullTime(a.startedAt) },
      h('span', { dataset: { at: String(a.startedAt), format: 'ago' } }, ago(a.startedAt)),
    ),
    h(
      'td',
      { 'data-label': 'Last heartbeat', title: fullTime(a.lastHeartbeat) },
      h(
        'span',
        { dataset: { at: String(a.lastHeartbeat), format: 'exact' } },
        agoExact(a.lastHeartbeat),
      ),
    ),
    h('td', { 'data-label': 'Files held', class: 'num' }, count(a.holding)),
    h('td', { 'data-label': 'State' }, stateBadge(a)),
  );
}

/**
 * Moves the relative times in `el` on (between two looks at the API).
 * @param {HTMLElement} el
 */
function tickAgents(el) {
  for (const span of el.querySelectorAll('span[data-at]')) {
    if (!(span instanceof HTMLElement)) continue;
    const at = Number(span.dataset.at);
    span.textContent = span.dataset.format === 'exact' ? agoExact(at) : ago(at);
  }
}

/**
 * The queue's "Held by" cell for a file: "this agent", another agent's host and pid (silent when
 * it missed its lease), or a dash when nobody holds it.
 * @param {Fleet | null} fleet
 * @param {import('../../types/api').FileRecord} f
 */
export function holderCell(fleet, f) {
  const held = f.owner && (f.state === 'uploading' || f.state === 'verifying');
  if (!held) return h('span', { class: 'muted' }, '–');
  if (fleet && f.owner === fleet.self) return selfBadge();
  const agent = fleet?.items.find((a) => a.id === f.owner);
  const until = f.leaseUntil ? `; its lease runs to ${fullTime(f.leaseUntil)}` : '';
  return h(
    'span',
    { class: 'holder' },
    h('span', { class: 'mono', title: `${f.owner}${until}` }, agentName(agent, f.owner)),
    agent && !agent.alive ? badge('silent', 'bad', SILENT_TITLE) : undefined,
  );
}
