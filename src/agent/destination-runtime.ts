/**
 * One destination while the agent runs: its S3 target, its transfer service (request slots, part
 * buffers, limiter, write options, verification) and its health. A destination-level error (keys, bucket, region, endpoint) marks it unhealthy with the
 * cause and the fix; its files wait; a cheap probe retries every probeInterval and, once it passes,
 * the destination is healthy again and its files go.
 */
import type { DestinationConfig } from '../config/agent-config.js';
import type { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { Clock } from '../platform/clock.js';
import type { ObjectTarget, VersionOption, WriteOptions } from '../object-store/object-target.js';
import type { Throttle } from '../transfer/bandwidth-limiter.js';
import type { FileSystem } from '../transfer/file-system.js';
import { TransferService } from '../transfer/transfer-service.js';
import {
  DEFAULT_BACKOFF_POLICY,
  type Md5Hasher,
  type TransferConfig,
  type UploadLedger,
} from '../transfer/transfer-types.js';
import type { EventSink } from './event-sink.js';
import { toAppError } from '../errors/app-error.js';

/** Per-request retry budget inside the agent; after it the file waits and is tried again later. */
const REQUEST_RETRY_BUDGET_MS = 60_000;

/** What the agent's transfer services are built from besides their destination's configuration. */
export interface TransferDeps {
  readonly journal: UploadLedger;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly random: () => number;
  readonly owner: string;
  /** The process's MD5 worker pool (closed by the composition root). */
  readonly hasher?: Md5Hasher;
}

/** The transfer configuration of a destination of s3ferry.yaml. */
export function transferConfig(c: DestinationConfig): TransferConfig {
  const write: Omit<WriteOptions, 'contentType'> = {
    metadata: c.metadata,
    ...(c.storageClass === undefined ? {} : { storageClass: c.storageClass }),
    ...(c.sse === undefined
      ? {}
      : { sse: { mode: c.sse, ...(c.kmsKeyId === undefined ? {} : { kmsKeyId: c.kmsKeyId }) } }),
    ...(Object.keys(c.tags).length === 0
      ? {}
      : { tagging: new URLSearchParams({ ...c.tags }).toString() }),
    ...(c.cacheControl === undefined ? {} : { cacheControl: c.cacheControl }),
    ...(c.contentDisposition === undefined ? {} : { contentDisposition: c.contentDisposition }),
    ...(c.contentEncoding === undefined ? {} : { contentEncoding: c.contentEncoding }),
    ...(c.acl === undefined ? {} : { acl: c.acl }),
  };
  return {
    partSize: c.partSize,
    multipartThreshold: c.multipartThreshold,
    concurrency: c.concurrency,
    partBuffers: c.partBuffers,
    resume: true,
    retry: { backoff: DEFAULT_BACKOFF_POLICY, maxElapsedMs: REQUEST_RETRY_BUDGET_MS },
    verify: c.verify,
    write,
  };
}

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
  presignGet(key: string, expiresInSec: number, options?: VersionOption): Promise<string>;
};

export class DestinationRuntime {
  /** Every upload to this destination goes through it. */
  readonly transfer: TransferService;
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
      transfer: TransferDeps;
      probeInterval: number;
      onHealthy: () => void;
      /** The bandwidth limits its requests take from (bandwidth-control.ts). */
      throttles?: readonly Throttle[];
    },
  ) {
    const t = deps.transfer;
    this.transfer = new TransferService(
      {
        target,
        ledger: t.journal,
        fs: t.fs,
        clock: t.clock,
        random: t.random,
        owner: t.owner,
        ...(t.hasher === undefined ? {} : { hasher: t.hasher }),
        publish: (e) => deps.events.publish(e),
        ...(deps.throttles === undefined ? {} : { throttles: deps.throttles }),
      },
      transferConfig(config),
    );
    this.transfer.start();
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

  /** Stops probing, waits for the uploads in flight, and closes the client. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#probing;
    await this.transfer.close();
    this.target.destroy();
  }
}
