/** What the API is built from: the agent's services, nothing it builds itself. */
import type { Registry } from 'prom-client';
import type { Agent } from '../agent/agent.js';
import type { EventListener, WebhookStats } from '../agent/event-sink.js';
import type { TransferTracker } from '../agent/transfer-tracker.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { LoginCodes } from './dashboard-login.js';

/** Timings of the live stream, ms (tests shorten them). */
export interface StreamTimings {
  /** How often `transfers` is sent while something uploads. Default 1000. */
  readonly tickMs?: number;
  /** How often a comment keeps idle connections open. Default 15000. */
  readonly heartbeatMs?: number;
}

/** The services the API adapts (see build-app.ts). */
export interface ApiDeps {
  readonly agent: Agent;
  readonly journal: JournalStore;
  /** Live events (the agent's EventSink). */
  readonly events: { subscribe(listener: EventListener): () => void };
  readonly transfers: Pick<TransferTracker, 'list' | 'size' | 'rates'>;
  /** The event webhook's deliveries, shown by /api/v1/status (undefined without a webhook). */
  readonly webhook?: () => WebhookStats | undefined;
  /** The agent's Prometheus registry, served at /metrics. */
  readonly metrics: Registry;
  readonly clock: Clock;
  /**
   * When set, every /api/v1 route requires it (auth.ts). `s3ferry run` always passes one (the
   * configured or the made token: cli/api-token.ts) unless api.auth is none, on loopback.
   */
  readonly token?: string;
  /** The address the API binds (api.host), one of the Host names it answers; default 127.0.0.1. */
  readonly host?: string;
  /** More Host names it answers (api.allowedHosts): request-guards.ts. */
  readonly allowedHosts?: readonly string[];
  /** /metrics needs the token too (api.metricsAuth: token). */
  readonly metricsAuth?: boolean;
  /** The codes of one-time dashboard links (`run` prints the first); made here when absent. */
  readonly logins?: LoginCodes;
  /** Re-reads the configuration file and applies it (SIGHUP does the same). */
  readonly reload: () => Promise<void>;
  readonly stream?: StreamTimings;
}
