/**
 * What one destination's store accepts (domain/capabilities.ts), probed at the agent's start and
 * whenever the destination is checked again, and re-probed when the store refuses a write the
 * last answer says it accepts (transfer/upload-run.ts refit): never guessed. The answer is kept in
 * the journal (CapabilityLog), shown by status and the dashboard, and followed by the transfer
 * service (transfer-types.ts CapabilitySource). Callers at the same time share one probe.
 */
import { randomUUID } from 'node:crypto';
import {
  capabilityChanges,
  describeCapabilities,
  probeKey,
  type EndpointCapabilities,
} from '../domain/capabilities.js';
import type { CapabilityLog } from '../journal/journal-store.js';
import type { ObjectTarget } from '../object-store/object-target.js';
import type { Clock } from '../platform/clock.js';
import type { CapabilitySource } from '../transfer/transfer-types.js';
import type { EventSink } from './event-sink.js';

/**
 * After a re-probe that found nothing changed, further refusals are answered from it for this
 * long, ms: a store that refuses writes for a reason no capability explains costs one probe per
 * this time, not one per file.
 */
export const REPROBE_QUIET_MS = 5 * 60_000;

/** The last answer and when it came. */
export interface ProbedCapabilities {
  readonly capabilities: EndpointCapabilities;
  /** ms since the epoch. */
  readonly probedAt: number;
}

export interface DestinationCapabilitiesDeps {
  /** The destination's name (s3://BUCKET/PREFIX at ENDPOINT), for events. */
  readonly name: string;
  readonly target: Pick<ObjectTarget, 'probeCapabilities' | 'endpoint' | 'bucket'>;
  /** The destination's prefix: the scratch keys go under it. */
  readonly prefix: string;
  readonly journal: CapabilityLog;
  readonly events: EventSink;
  readonly clock: Clock;
  /** The agent's id, recorded with the answer. */
  readonly owner: string;
  /** Ends a probe in flight (the destination closes). */
  readonly stop: AbortSignal;
  /** Told of every new answer (the destination checks what its jobs need of it). */
  readonly onAnswer: (capabilities: EndpointCapabilities) => Promise<void>;
}

export class DestinationCapabilities implements CapabilitySource {
  #last: ProbedCapabilities | undefined;
  #probing: Promise<EndpointCapabilities> | undefined;
  /** Until then a re-probe answers the last answer (see {@link REPROBE_QUIET_MS}). */
  #quietUntil = 0;

  constructor(private readonly deps: DestinationCapabilitiesDeps) {}

  current(): EndpointCapabilities | undefined {
    return this.#last?.capabilities;
  }

  /** The last answer with its time; undefined before the first. */
  get last(): ProbedCapabilities | undefined {
    return this.#last;
  }

  /** Probes now (or joins the probe in flight). Rejects as the probe does. */
  probe(): Promise<EndpointCapabilities> {
    this.#probing ??= this.#probeOnce().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async reprobe(why: string): Promise<EndpointCapabilities> {
    const last = this.#last?.capabilities;
    const joining = this.#probing !== undefined;
    if (!joining && last !== undefined && this.deps.clock.now() < this.#quietUntil) return last;
    if (!joining)
      await this.deps.events.emit(
        'destination.reprobe',
        'warn',
        `${this.deps.name}: the store refused what it was found to accept (${why}); probing it again`,
        { data: { destination: this.deps.name, why } },
      );
    const caps = await this.probe();
    if (!joining)
      this.#quietUntil =
        capabilityChanges(last, caps).length === 0 ? this.deps.clock.now() + REPROBE_QUIET_MS : 0;
    await this.deps.onAnswer(caps);
    return caps;
  }

  async #probeOnce(): Promise<EndpointCapabilities> {
    const { target, clock, events, name } = this.deps;
    const now = clock.now();
    const scratch = probeKey(this.deps.prefix, randomUUID());
    const { capabilities, leftover } = await target.probeCapabilities(scratch, now, this.deps.stop);
    const before = this.#last?.capabilities;
    this.#last = { capabilities, probedAt: clock.now() };
    await this.#record(capabilities);
    const changes = capabilityChanges(before, capabilities);
    const data = { destination: name, capabilities };
    if (before === undefined)
      await events.emit(
        'destination.capabilities',
        'info',
        `${name}: the store accepts ${describeCapabilities(capabilities)}`,
        { data },
      );
    else if (changes.length > 0)
      await events.emit(
        'destination.capabilities',
        'warn',
        `${name}: the store changed: ${changes.join(', ')}`,
        { data: { ...data, changes } },
      );
    if (leftover !== undefined)
      await events.emit('destination.probe-leftover', 'warn', `${name}: ${leftover}`, {
        key: scratch,
        data: { destination: name },
      });
    return capabilities;
  }

  /** Keeps the answer in the journal; a journal that fails is the journal's cause, logged. */
  async #record(capabilities: EndpointCapabilities): Promise<void> {
    const { target, journal, owner, events, name } = this.deps;
    const probedAt = this.#last?.probedAt ?? this.deps.clock.now();
    try {
      await journal.saveCapabilities({
        endpoint: target.endpoint,
        bucket: target.bucket,
        capabilities,
        probedAt,
        agent: owner,
      });
    } catch (err) {
      await events
        .emit(
          'destination.capabilities',
          'warn',
          `${name}: not kept in the journal: ${String(err)}`,
        )
        .catch(() => undefined);
    }
  }
}
