/**
 * The control service: everything a person (through the CLI, the API or the dashboard) may ask of
 * s3ferry besides the transfer itself: status, pause and resume, retry, backfill, links, reload,
 * live transfers, and the queries (queue, history, events, the report, agents). The API and the CLI are thin
 * adapters over it (STYLE.md §1). Three implementations:
 * - agent-control.ts, inside the running agent: the API routes adapt it;
 * - http-control.ts, the CLI over a running agent's API;
 * - journal-control.ts, the CLI on the journal when no agent runs (what needs no agent: status,
 *   queue, history, events, agents, retry, pause and resume, which live in the journal, and link,
 *   signed with the configuration's destination).
 * Every operation resolves typed results and rejects with an AppError of errors/codes.ts; an
 * operation an implementation cannot do rejects with ERR_USAGE saying that it needs the agent.
 */
import type { BackfillRequest, BackfillResult } from '../agent/backfill.js';
import type {
  BandwidthChange,
  BandwidthLimitView,
  BandwidthView,
} from '../agent/bandwidth-control.js';
import type { ProbedCapabilities } from '../agent/destination-capabilities.js';
import type { DestinationHealth } from '../agent/destination-runtime.js';
import type { ObjectLink } from '../agent/object-link.js';
import type { TransferView } from '../agent/transfer-tracker.js';
import type { WebhookStats } from '../agent/webhook-sender.js';
import type {
  AgentRecord,
  CapabilityRecord,
  EventQuery,
  EventRecord,
  FileRecord,
  FileState,
  HistoryQuery,
  HistoryRecord,
  Page,
  Pauses,
} from '../journal/journal-store.js';
import type { RootProblemKind } from '../sources/root-problems.js';
import type { ReportPage, ReportQuery } from './report.js';

export type {
  BackfillRequest,
  BackfillResult,
  BandwidthChange,
  BandwidthLimitView,
  BandwidthView,
  ObjectLink,
  ReportPage,
  ReportQuery,
  TransferView,
  WebhookStats,
};

/** Where a service's answers come from. */
export type ControlSource =
  /** The running agent, at `url` (its API, as this machine reaches it). */
  | { readonly kind: 'agent'; readonly url: string }
  /**
   * The journal itself (`journal`: its file, or its database URL without the password); `note`
   * says why no agent was asked when one holds it (its API did not answer).
   */
  | { readonly kind: 'journal'; readonly journal: string; readonly note?: string };

/** A source directory of a job and, while it cannot be served, its problem with the fix. */
export interface SourceStatus {
  readonly path: string;
  readonly recursive: boolean;
  readonly problem?: {
    readonly kind: RootProblemKind;
    /** The cause, and when it is looked at again. */
    readonly cause: string;
    /** The fix, naming the setting of the configuration. */
    readonly hint: string;
    /** ms since the epoch. */
    readonly since: number;
  };
}

/** A job as the running agent sees it. */
export interface JobStatus {
  readonly name: string;
  readonly paused: boolean;
  /** The destination's name: s3://BUCKET/PREFIX (at ENDPOINT). */
  readonly destination: string;
  readonly health: DestinationHealth;
  readonly sources: SourceStatus[];
  /** What the destination's store accepts, as last probed; absent before the first answer. */
  readonly capabilities?: ProbedCapabilities;
}

/** The status of a running agent. */
export interface AgentStatusView {
  readonly running: true;
  /** All processing is paused. */
  readonly paused: boolean;
  readonly jobs: JobStatus[];
  readonly files: Record<FileState, number>;
  /** Files being processed now. */
  readonly inFlight: number;
  /** The event webhook since the agent started; absent without one. */
  readonly webhook?: WebhookStats;
  /** The bandwidth limits in effect (absent from an agent of an older version). */
  readonly bwlimit?: BandwidthView;
}

/** The status read from the journal, no agent answering. */
export interface JournalStatusView {
  readonly running: false;
  /** The journal (file, or database URL without the password). */
  readonly journal: string;
  /** Why no agent was asked although one holds the journal (its API did not answer). */
  readonly note?: string;
  readonly paused: boolean;
  /** The configured jobs (when a configuration was found), else the jobs the journal knows. */
  readonly jobs: { readonly name: string; readonly paused: boolean }[];
  readonly files: Record<FileState, number>;
  /** What each bucket's store accepts, as an agent's probe last found it (the journal's). */
  readonly capabilities?: readonly CapabilityRecord[];
}

export type StatusView = AgentStatusView | JournalStatusView;

/** What pause or resume did. */
export interface PauseResult {
  /** The job, or undefined for all processing. */
  readonly job?: string;
  /** True: paused; false: resumed. */
  readonly paused: boolean;
  /** The switches after the change. */
  readonly pauses: Pauses;
  /** Set when files will still not move: a job resumed while all processing is paused. */
  readonly note?: string;
}

/** What retry did. */
export interface RetryResult {
  /** Files released for another try (parked or waiting -> queued). */
  readonly released: number;
}

/** Which files the queue lists: pending (the one set of domain/file-state.ts), or one state. */
export const QUEUE_SECTIONS = ['pending', 'waiting', 'parked', 'skipped'] as const;
export type QueueSection = (typeof QUEUE_SECTIONS)[number];

/** A query of the queue: one or more sections, the same job and page for each. */
export interface QueueQuery {
  readonly sections: readonly QueueSection[];
  readonly job?: string;
  readonly limit: number;
  readonly offset?: number;
}

/** The pages of the sections asked for. */
export type QueueView = Partial<Record<QueueSection, Page<FileRecord>>>;

/** A link for an uploaded file (`path`, absolute) or an object key of a job's destination. */
export interface LinkRequest {
  readonly path?: string;
  readonly key?: string;
  /** The job whose destination holds `key` (optional with one job). */
  readonly job?: string;
  /** Lifetime of a presigned link, ms (default: the destination's linkExpiry). */
  readonly expiresMs?: number;
  /** With `key`: the version to link to, on a versioned bucket (default the current one). */
  readonly versionId?: string;
}

/** An agent sharing the journal, as the service describes it. */
export interface AgentView extends AgentRecord {
  /** The agent answering (absent: asked without an agent). */
  readonly self: boolean;
  /** Heard from within its lease. */
  readonly alive: boolean;
}

/** The agents of the journal. */
export interface AgentsView {
  /** The answering agent's id; absent when no agent answered. */
  readonly self?: string;
  /** True when agents share the journal (PostgreSQL). */
  readonly shared: boolean;
  /** How long a claim holds without a heartbeat, ms. */
  readonly leaseMs: number;
  readonly items: AgentView[];
}

/** The operations; see the module comment. */
export interface ControlService {
  /** Where the answers come from. */
  readonly source: ControlSource;
  status(): Promise<StatusView>;
  /** Pauses one job, or all processing (the switch lives in the journal). */
  pause(job?: string): Promise<PauseResult>;
  resume(job?: string): Promise<PauseResult>;
  /**
   * Releases one file (by id) or every parked and waiting file for another try. One id that is
   * not in the journal: ERR_FILE_UNKNOWN; not parked or waiting: ERR_FILE_NOT_RETRYABLE.
   */
  retry(fileId?: number): Promise<RetryResult>;
  /** Queues existing files of a job now (needs the agent). */
  backfill(job: string, request: BackfillRequest): Promise<BackfillResult>;
  /** A download link; a key that is not in the store: ERR_S3_NOT_FOUND. */
  link(request: LinkRequest): Promise<ObjectLink>;
  /** Reads the configuration file again and applies it (needs the agent). */
  reload(): Promise<void>;
  /** The uploads running now (needs the agent). */
  transfers(): Promise<TransferView[]>;
  /** The bandwidth limits in effect (needs the agent: they are its own, not the journal's). */
  bwlimit(): Promise<BandwidthView>;
  /**
   * Overrides a bandwidth limit for a while, or ends the override (needs the agent); resolves the
   * limits then. An unknown destination: ERR_USAGE.
   */
  setBwlimit(change: BandwidthChange): Promise<BandwidthView>;
  queue(query: QueueQuery): Promise<QueueView>;
  history(query: HistoryQuery): Promise<Page<HistoryRecord>>;
  events(query: EventQuery): Promise<Page<EventRecord>>;
  /** A page of the report: every file uploaded, skipped, parked or failed in a window (report.ts). */
  report(query: ReportQuery): Promise<ReportPage>;
  agents(): Promise<AgentsView>;
  /** Lets go of what the service holds (the journal, sockets). Idempotent. */
  close(): Promise<void>;
}
