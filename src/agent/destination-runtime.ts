/**
 * One destination while the agent runs: its S3 target, its transfer service (request slots, part
 * buffers, limiter, write options, verification), what its store accepts (its capabilities,
 * destination-capabilities.ts) and its health. It counts as healthy only once its checks have
 * answered: the bucket (HeadBucket) and the capability probe, and, where its jobs set retention
 * or a legal hold, Object Lock on the bucket. A destination-level error (keys, bucket, region,
 * endpoint, no Object Lock) marks it unhealthy with the cause and the fix; its files wait; the
 * checks run again every probeInterval and, once they pass, the destination is healthy again and
 * its files go.
 */
import type { DestinationConfig } from '../config/agent-config.js';
import type { EndpointCapabilities } from '../domain/capabilities.js';
import { locksObjects, type ObjectLockRule } from '../domain/retention.js';
import type { AppError } from '../errors/app-error.js';
import type { CapabilityLog } from '../journal/journal-store.js';
import type { ErrorCode } from '../errors/codes.js';
import type { Clock } from '../platform/clock.js';
import type { ObjectTarget, VersionOption, WriteOptions } from '../object-store/object-target.js';
import type { Throttle } from '../transfer/bandwidth-limiter.js';
import { noObjectLock } from '../transfer/capability-fit.js';
import type { FileSystem } from '../transfer/file-system.js';
import { TransferService } from '../transfer/transfer-service.js';
import {
  DEFAULT_BACKOFF_POLICY,
  type Md5Hasher,
  type TransferConfig,
  type UploadLedger,
} from '../transfer/transfer-types.js';
import { DestinationCapabilities } from './destination-capabilities.js';
import type { EventSink } from './event-sink.js';
import { toAppError } from '../errors/app-error.js';

/** Per-request retry budget inside the agent; after it the file waits and is tried again later. */
const REQUEST_RETRY_BUDGET_MS = 60_000;

/** What the agent's transfer services are built from besides their destination's configuration. */
export interface TransferDeps {
  readonly journal: UploadLedger & CapabilityLog;
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
  const objectLock = lockRule(c);
  return {
    ...(objectLock === undefined ? {} : { objectLock }),
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

/** The retention and legal hold of `c` (a destination, or a job over its destination's). */
export function lockRule(
  c: Pick<DestinationConfig, 'retention'> & { readonly legalHold?: boolean | undefined },
  over?: Pick<DestinationConfig, 'retention' | 'legalHold'>,
): ObjectLockRule | undefined {
  const retention = c.retention ?? over?.retention;
  const rule = {
    ...(retention === undefined ? {} : { retention }),
    legalHold: c.legalHold ?? over?.legalHold ?? false,
  };
  return locksObjects(rule) ? rule : undefined;
}

export type DestinationHealth =
  | { readonly healthy: true; readonly since: number }
  | {
      readonly healthy: false;
      readonly since: number;
      /** 'probing' until its first checks answer. */
      readonly code: ErrorCode | 'probing';
      readonly cause: string;
      readonly hint: string;
    };

/** The health of a destination whose first checks have not answered yet. */
const PROBING = {
  healthy: false,
  code: 'probing',
  cause: 'its bucket and what its store accepts are being probed',
  hint: 'wait: its files go once the probe answers',
} as const;

/** A target the agent can close. */
export type ClosableTarget = ObjectTarget & {
  destroy(): void;
  presignGet(key: string, expiresInSec: number, options?: VersionOption): Promise<string>;
};

export class DestinationRuntime {
  /** Every upload to this destination goes through it. */
  readonly transfer: TransferService;
  /** What its store accepts, as last probed. */
  readonly capabilities: DestinationCapabilities;
  #health: DestinationHealth;
  readonly #stop = new AbortController();
  #probing: Promise<void> | undefined;
  /** Retention or a legal hold one of its jobs sets: the bucket must have Object Lock. */
  #lockRule: ObjectLockRule | undefined;

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
    this.#lockRule = lockRule(config);
    this.capabilities = new DestinationCapabilities({
      name,
      target,
      prefix: config.prefix,
      journal: t.journal,
      events: deps.events,
      clock: deps.clock,
      owner: t.owner,
      stop: this.#stop.signal,
      onAnswer: (caps) => this.#followAnswer(caps),
    });
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
        capabilities: this.capabilities,
      },
      transferConfig(config),
    );
    this.transfer.start();
    this.#health = { ...PROBING, since: deps.clock.now() };
  }

  /** A job of this destination sets retention or a legal hold (job-builder.ts): checked too. */
  requireObjectLock(rule: ObjectLockRule): void {
    this.#lockRule ??= rule;
  }

  /** Throws the destination-level cause when its store cannot do what its jobs ask. */
  #checkNeeds(caps: EndpointCapabilities): void {
    if (this.#lockRule !== undefined && !caps.objectLock)
      throw noObjectLock(this.target.bucket, this.#lockRule);
  }

  /** A re-probe's answer: a bucket that lost what its jobs need marks the destination. */
  async #followAnswer(caps: EndpointCapabilities): Promise<void> {
    try {
      this.#checkNeeds(caps);
    } catch (err) {
      await this.markUnhealthy(toAppError(err));
    }
  }

  /**
   * The checks of health: the bucket, then the capability probe and what the jobs need of it.
   * Once the store has answered, a destination held for another cause (keys, endpoint) is checked
   * with the bucket alone: its capabilities are probed again only for a cause that is theirs.
   */
  async #probeOnce(): Promise<void> {
    await this.target.probe(this.#stop.signal);
    const known = this.capabilities.current();
    const theirs = !this.#health.healthy && this.#health.code === 'ERR_S3_NO_OBJECT_LOCK';
    this.#checkNeeds(known === undefined || theirs ? await this.capabilities.probe() : known);
  }

  get health(): DestinationHealth {
    return this.#health;
  }

  /** Holds this destination's files until a probe passes. Idempotent while unhealthy. */
  async markUnhealthy(err: AppError): Promise<void> {
    if (!this.#health.healthy && this.#health.code !== 'probing') return;
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
      await this.#probeOnce();
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
        await this.#probeOnce();
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
    const first = this.#health.code === 'probing';
    this.#health = { healthy: true, since: this.deps.clock.now() };
    if (first) return; // its first checks answered: nothing resumes
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
