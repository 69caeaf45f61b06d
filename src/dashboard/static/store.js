// The dashboard's shared state (status, jobs, destinations, agents, live transfers, stats and the
// throughput chart's samples) and a tiny pub/sub the views listen to.
import { createThroughput } from './chart.js';
import { PENDING_STATES } from './format.js';

/** @typedef {import('../types/dashboard').Store} Store */

/**
 * Shared state and a tiny pub/sub: 'core' (status, jobs, destinations, stats), 'fleet' (the
 * agents sharing the journal), 'transfers', 'event'.
 * @returns {Store}
 */
export function createStore() {
  /** @type {Map<string, Set<(payload: unknown) => void>>} */
  const listeners = new Map();
  return {
    status: null,
    jobs: [],
    destinations: [],
    fleet: null,
    transfers: [],
    stats: null,
    throughput: createThroughput(),
    on(type, fn) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(/** @type {(payload: unknown) => void} */ (fn));
    },
    emit(type, ...payload) {
      for (const fn of listeners.get(type) ?? []) {
        try {
          fn(payload[0]);
        } catch (err) {
          console.error(err);
        }
      }
    },
    /** Files waiting for their first or next try (not parked, not done). */
    pendingCount() {
      const f = this.status?.files ?? {};
      return PENDING_STATES.reduce((n, s) => n + (f[s] ?? 0), 0);
    },
  };
}
