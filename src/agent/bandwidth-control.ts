/**
 * The agent's bandwidth limits while it runs (docs/bandwidth.md): one over all its destinations
 * together (the top-level `bwlimit`) and one per destination (its `bwlimit`), each a timetable that
 * a person may override for a while (`s3ferry bwlimit`, PUT /api/v1/bwlimit). Every request body
 * takes from its destination's limiter, then from the agent's (throttlesFor).
 *
 * It sets each limiter's rate when a timetable step or the end of an override comes, and looks
 * again at least every minute, so that a change of the system clock or of daylight saving time is
 * followed; each change is an event (`bandwidth.changed`), each override too (`bandwidth.override`).
 * Overrides live in the agent's memory: a reload (the file as written applies again) or a restart
 * ends them. What holds when is decided by domain/bandwidth-schedule.ts, which is pure.
 */
import type { BandwidthTimetable } from '../domain/bandwidth-timetable.js';
import {
  effectiveLimit,
  makeOverride,
  overrideHolds,
  rateText,
  type LimitOverride,
  type LocalZone,
  type Rate,
} from '../domain/bandwidth-schedule.js';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../platform/clock.js';
import { BandwidthLimiter, type Throttle } from '../transfer/bandwidth-limiter.js';
import type { EventSink } from './event-sink.js';

/** How the views and the metrics name the agent's limit over all its destinations. */
export const AGENT_SCOPE = '*';

/** Looked at again at least this often, ms. */
const RECHECK_MS = 60_000;
/** Never sooner than this, ms (a guard against a busy loop). */
const MIN_WAIT_MS = 100;

/** One limit as status, the API and the CLI show it. */
export interface BandwidthLimitView {
  /** The destination's name; {@link AGENT_SCOPE} for the agent's limit over all of them. */
  readonly destination: string;
  /** In effect now, bytes per second; null: no limit. */
  readonly bytesPerSec: Rate;
  /** Whose it is: the configuration's (its timetable), or a person's override. */
  readonly source: 'config' | 'override';
  /** The configured limit as written; null when none is configured. */
  readonly timetable: string | null;
  /** The override, while it holds. */
  readonly override?: LimitOverride;
  /** The next change of the limit in effect (absent: none is coming). */
  readonly next?: { readonly at: number; readonly bytesPerSec: Rate };
}

/** Every limit of the agent. */
export interface BandwidthView {
  readonly agent: BandwidthLimitView;
  readonly destinations: BandwidthLimitView[];
}

/** A change asked for: an override (for `forMs`, else until the timetable next changes), or its end. */
export type BandwidthChange = { readonly destination?: string } & (
  { readonly bytesPerSec: Rate; readonly forMs?: number } | { readonly reset: true }
);

/** A destination as configured, for {@link BandwidthControl.configure}. */
export interface BandwidthScopeConfig {
  /** Its name (job-builder.ts destinationName). */
  readonly name: string;
  /** The name of its entry under `destinations:`, which a person may use too. */
  readonly configName?: string | undefined;
  readonly timetable?: BandwidthTimetable | undefined;
}

interface Scope {
  readonly name: string;
  readonly aliases: string[];
  timetable: BandwidthTimetable | undefined;
  readonly limiter: BandwidthLimiter;
  override: LimitOverride | undefined;
  /** The rate last set, for the change event; undefined before the first. */
  applied: { rate: Rate } | undefined;
}

export class BandwidthControl {
  readonly #agent: Scope;
  #scopes = new Map<string, Scope>();
  #wake = new AbortController();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    private readonly deps: { clock: Clock; zone: LocalZone; events: Pick<EventSink, 'emit'> },
  ) {
    this.#agent = this.#scope(AGENT_SCOPE, undefined);
  }

  #scope(name: string, timetable: BandwidthTimetable | undefined): Scope {
    const limiter = new BandwidthLimiter({ clock: this.deps.clock });
    return { name, aliases: [], timetable, limiter, override: undefined, applied: undefined };
  }

  /**
   * Takes the limits of a configuration (at start and at each reload): overrides end, a
   * destination that stays keeps its limiter (its uploads in flight keep their place), one that
   * goes lets its waiting requests go.
   */
  configure(agent: BandwidthTimetable | undefined, destinations: readonly BandwidthScopeConfig[]) {
    this.#agent.timetable = agent;
    this.#agent.override = undefined;
    const next = new Map<string, Scope>();
    for (const d of destinations) {
      // two configurations of one place (other keys, say) share its name: the first one's limit
      let scope = next.get(d.name);
      if (scope === undefined) {
        scope = this.#scopes.get(d.name) ?? this.#scope(d.name, undefined);
        scope.timetable = d.timetable;
        scope.override = undefined;
        scope.aliases.length = 0;
        next.set(d.name, scope);
      }
      if (d.configName !== undefined && !scope.aliases.includes(d.configName))
        scope.aliases.push(d.configName);
    }
    for (const [name, old] of this.#scopes) if (!next.has(name)) old.limiter.setRate(undefined);
    this.#scopes = next;
    this.refresh();
    this.#rewake();
  }

  /** The limits a request to the destination `name` takes from, in order. */
  throttlesFor(name: string): readonly Throttle[] {
    const own = this.#scopes.get(name);
    return own === undefined ? [this.#agent.limiter] : [own.limiter, this.#agent.limiter];
  }

  /** Applies what holds now, and again whenever that changes, until close(). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const wait = this.refresh();
      // a change, or close(), aborts the wake signal
      await this.deps.clock.sleep(wait, this.#wake.signal).catch(() => undefined);
    }
  }

  /** Sets every limiter to what holds now (events for changes); ms until the next look. */
  refresh(): number {
    const now = this.deps.clock.now();
    let wait = RECHECK_MS;
    for (const scope of [this.#agent, ...this.#scopes.values()]) {
      if (scope.override !== undefined && !overrideHolds(scope.override, now))
        scope.override = undefined;
      const limit = effectiveLimit(scope.timetable, scope.override, now, this.deps.zone);
      scope.limiter.setRate(limit.bytesPerSec ?? undefined);
      if (limit.next !== undefined) wait = Math.min(wait, limit.next.at - now);
      const before = scope.applied;
      scope.applied = { rate: limit.bytesPerSec };
      if (before !== undefined && before.rate !== limit.bytesPerSec)
        this.#emit('bandwidth.changed', `${whose(scope)} is now ${rateText(limit.bytesPerSec)}`, {
          ...dataOf(scope),
          bytesPerSec: limit.bytesPerSec,
          source: limit.source,
        });
    }
    return Math.max(MIN_WAIT_MS, wait);
  }

  /** Every limit now. */
  view(): BandwidthView {
    const now = this.deps.clock.now();
    return {
      agent: this.#view(this.#agent, now),
      destinations: [...this.#scopes.values()].map((s) => this.#view(s, now)),
    };
  }

  #view(scope: Scope, now: number): BandwidthLimitView {
    const { zone } = this.deps;
    const holds = overrideHolds(scope.override, now) ? scope.override : undefined;
    const limit = effectiveLimit(scope.timetable, holds, now, zone);
    return {
      destination: scope.name,
      bytesPerSec: limit.bytesPerSec,
      source: limit.source,
      timetable: scope.timetable?.text ?? null,
      ...(holds === undefined ? {} : { override: holds }),
      ...(limit.next === undefined ? {} : { next: limit.next }),
    };
  }

  /**
   * Overrides a limit (the agent's, or one destination's by its name or the name of its entry
   * under `destinations:`), or ends its override; applies it at once. An unknown destination:
   * ERR_USAGE naming the known ones.
   */
  change(req: BandwidthChange): BandwidthView {
    const scope = req.destination === undefined ? this.#agent : this.#find(req.destination);
    const now = this.deps.clock.now();
    if ('reset' in req) {
      scope.override = undefined;
      this.#emit('bandwidth.override', `${whose(scope)}: the configured limit applies again`, {
        ...dataOf(scope),
        bytesPerSec: null,
        until: null,
      });
    } else {
      const o = makeOverride(scope.timetable, req.bytesPerSec, now, this.deps.zone, req.forMs);
      scope.override = o;
      const until = o.until === null ? 'until reset' : `until ${new Date(o.until).toISOString()}`;
      this.#emit(
        'bandwidth.override',
        `${whose(scope)} set to ${rateText(o.bytesPerSec)} ${until}`,
        {
          ...dataOf(scope),
          bytesPerSec: o.bytesPerSec,
          until: o.until,
        },
      );
    }
    this.refresh();
    this.#rewake();
    return this.view();
  }

  /** Wakes the loop, which works out its next look again. */
  #rewake(): void {
    const woken = this.#wake;
    this.#wake = new AbortController();
    woken.abort();
  }

  #find(name: string): Scope {
    for (const s of this.#scopes.values())
      if (s.name === name || s.aliases.includes(name)) return s;
    const known = [...this.#scopes.values()].map((s) => s.name);
    throw new AppError('ERR_USAGE', `no destination named ${name}`, {
      hint:
        known.length === 0
          ? 'the agent has no destination: leave out the destination to change the limit over all of them'
          : `give a destination as s3ferry status names it (${known.join(', ')}), or the name of its entry under destinations:`,
      details: { field: 'destination' },
    });
  }

  #emit(type: string, message: string, data: Record<string, unknown>): void {
    void this.deps.events.emit(type, 'info', message, { data }).catch(() => undefined);
  }

  /** Stops looking; the limiters keep their rates (in-flight uploads are being cancelled). */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#wake.abort();
    await this.#loop;
  }
}

function whose(scope: Scope): string {
  return scope.name === AGENT_SCOPE
    ? 'the bandwidth limit over all destinations'
    : `the bandwidth limit of ${scope.name}`;
}

function dataOf(scope: Scope): Record<string, unknown> {
  return { destination: scope.name };
}
