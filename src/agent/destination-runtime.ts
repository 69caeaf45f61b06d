/**
 * One destination while the agent runs: its S3 target, its request slots and buffers, and its
 * health. A destination-level error (keys, bucket, region, endpoint) marks it unhealthy with the
 * cause and the fix; its files wait; a cheap probe retries every probeInterval and, once it passes,
 * the destination is healthy again and its files go.
 */
import type { DestinationConfig } from '../config/agent-config.js';
import type { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { Clock } from '../platform/clock.js';
import type { ObjectTarget } from '../object-store/object-target.js';
import { BandwidthLimiter } from '../transfer/bandwidth-limiter.js';
import { BufferPool } from '../transfer/buffer-pool.js';
import { Semaphore } from '../transfer/semaphore.js';
import type { EventSink } from './event-sink.js';
import { toAppError } from '../errors/app-error.js';

export type DestinationHealth =
  | { readonly healthy: true; readonly since: number }
  | {
      readonly healthy: false;
      readonly since: number;
      readonly code: ErrorCode;
      readonly cause: string;
      readonly hint: string;
    };

/** A target the agent can close. */
export type ClosableTarget = ObjectTarget & {
  destroy(): void;
  presignGet(key: string, expiresInSec: number): Promise<string>;
};

export class DestinationRuntime {
  readonly slots: Semaphore;
  readonly buffers: BufferPool;
  readonly limiter: BandwidthLimiter | undefined;
  #health: DestinationHealth;
  readonly #stop = new AbortController();
  #probing: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly config: DestinationConfig,
    readonly target: ClosableTarget,
    private readonly deps: {
      clock: Clock;
      events: EventSink;
      probeInterval: number;
      onHealthy: () => void;
    },
  ) {
    this.slots = new Semaphore(config.concurrency);
    this.buffers = new BufferPool(config.concurrency);
    this.limiter =
      config.bwlimit === undefined
        ? undefined
        : new BandwidthLimiter({ clock: deps.clock, bytesPerSec: config.bwlimit });
    this.#health = { healthy: true, since: deps.clock.now() };
  }

  get health(): DestinationHealth {
    return this.#health;
  }

  /** Holds this destination's files until a probe passes. Idempotent while unhealthy. */
  async markUnhealthy(err: AppError): Promise<void> {
    if (!this.#health.healthy) return;
    this.#health = {
      healthy: false,
      since: this.deps.clock.now(),
      code: err.code,
      cause: err.message,
      hint: err.hint ?? '',
    };
    await this.deps.events.emit('destination.unhealthy', 'error', `${this.name}: ${err.message}`, {
      data: { destination: this.name, code: err.code, hint: err.hint ?? null },
    });
    this.#probing ??= this.#probeUntilHealthy().finally(() => {
      this.#probing = undefined;
    });
  }

  /** Probes once now (at start-up and after a config reload); marks the result. */
  async check(): Promise<boolean> {
    try {
      await this.target.probe(this.#stop.signal);
      await this.#markHealthy();
      return true;
    } catch (raw) {
      const err = toAppError(raw);
      if (err.kind === 'cancelled') return false;
      await this.markUnhealthy(err);
      return false;
    }
  }

  async #probeUntilHealthy(): Promise<void> {
    while (!this.#health.healthy && !this.#stop.signal.aborted) {
      try {
        await this.deps.clock.sleep(this.deps.probeInterval, this.#stop.signal);
        await this.target.probe(this.#stop.signal);
        await this.#markHealthy();
      } catch (raw) {
        // (read through methods: the awaits above may have changed both)
        if (this.#stopped()) return;
        const err = toAppError(raw);
        const health = this.health;
        if (!health.healthy && err.message !== health.cause) {
          this.#health = {
            ...health,
            code: err.code,
            cause: err.message,
            hint: err.hint ?? '',
          };
        }
      }
    }
  }

  #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async #markHealthy(): Promise<void> {
    if (this.#health.healthy) return;
    this.#health = { healthy: true, since: this.deps.clock.now() };
    await this.deps.events.emit(
      'destination.healthy',
      'info',
      `${this.name}: reachable again; its files resume`,
      { data: { destination: this.name } },
    );
    this.deps.onHealthy();
  }

  /** Stops probing and closes the client. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#probing;
    this.target.destroy();
  }
}
