/**
 * One upload's own AbortSignal, aborted with the caller's. Many uploads share the caller's signal
 * (the CLI's Ctrl-C, the agent's stop), and each upload has several requests, slot waits and
 * sleeps listening for an abort at once: attached to the shared signal directly, their listeners
 * added up past Node's limit of 10 and it printed MaxListenersExceededWarning. Here the shared
 * signal gets one listener however many uploads run, and each upload's signal a bounded number.
 */
import { setMaxListeners } from 'node:events';

/** The uploads' controllers per caller signal; one abort listener on each caller signal. */
const scopes = new WeakMap<AbortSignal, Set<AbortController>>();

export interface AbortScope {
  /** Aborts when the caller's signal does (with its reason); undefined without one. */
  readonly signal: AbortSignal | undefined;
  /** Detaches from the caller's signal: call when the upload is over. */
  close(): void;
}

/**
 * A scope under `parent`. `maxListeners` is the most abort listeners the upload holds at once
 * (each of its part workers holds at most one at a time: a slot wait, a bandwidth wait, a request
 * or a backoff sleep); Node warns only past it, so a listener that is never removed still shows.
 */
export function abortScope(parent: AbortSignal | undefined, maxListeners: number): AbortScope {
  if (parent === undefined) return { signal: undefined, close: () => undefined };
  const controller = new AbortController();
  setMaxListeners(Math.max(10, maxListeners), controller.signal);
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, close: () => undefined };
  }
  let live = scopes.get(parent);
  if (live === undefined) {
    const set = new Set<AbortController>();
    live = set;
    scopes.set(parent, set);
    parent.addEventListener(
      'abort',
      () => {
        for (const c of set) c.abort(parent.reason);
        set.clear();
      },
      { once: true },
    );
  }
  const set = live;
  set.add(controller);
  return {
    signal: controller.signal,
    close: () => {
      set.delete(controller);
    },
  };
}
