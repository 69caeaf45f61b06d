/**
 * The control service inside the running agent: the API routes (src/api/routes/) adapt it, and it
 * adapts the Agent, its journal and its live transfers. Beyond the port it answers what only the
 * agent knows and only the API shows: jobs with their sources, destinations, readiness, browsing.
 */
import { resolve } from 'node:path';
import type { Agent } from '../agent/agent.js';
import type { BackfillRequest, BackfillResult } from '../agent/backfill.js';
import type { DestinationRuntime } from '../agent/destination-runtime.js';
import type { ObjectLink } from '../agent/object-link.js';
import type { BrowseQuery, BrowseResult } from '../agent/source-browser.js';
import type { JobRates } from '../agent/job-rates.js';
import type { TransferView } from '../agent/transfer-tracker.js';
import type { WebhookStats } from '../agent/webhook-sender.js';
import type { JobConfig } from '../config/agent-config.js';
import type {
  EventQuery,
  EventRecord,
  FailureGroup,
  FileState,
  HistoryQuery,
  HistoryRecord,
  JournalStore,
  Page,
} from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { RootProblem } from '../sources/root-problems.js';
import {
  agentViews,
  linkAsk,
  notRetried,
  pauseNote,
  readiness,
  type Readiness,
} from './control-rules.js';
import { eventsFromJournal, queueFromJournal } from './journal-reads.js';
import { reportFromJournal, type ReportPage, type ReportQuery } from './report.js';
import { LEFT_STATES, queueStats, type QueueStats } from './queue-stats.js';
import type {
  AgentStatusView,
  AgentsView,
  BandwidthChange,
  BandwidthView,
  ControlService,
  ControlSource,
  JobStatus,
  LinkRequest,
  PauseResult,
  QueueQuery,
  QueueView,
  RetryResult,
  SourceStatus,
} from './control-service.js';

/** What the agent-side service adapts. */
export interface AgentControlDeps {
  readonly agent: Agent;
  readonly journal: JournalStore;
  readonly transfers: { list(): TransferView[]; readonly rates: JobRates };
  readonly clock: Clock;
  /** Reads the configuration file again and applies it (as SIGHUP). */
  readonly reload: () => Promise<void>;
  /** The event webhook's deliveries (undefined without a webhook). */
  readonly webhook?: () => WebhookStats | undefined;
}

/** A job as /api/v1/jobs shows it. */
export interface JobView extends JobStatus {
  readonly mode: JobConfig['mode'];
  readonly destinationRef: DestinationRuntime;
  readonly counts: Record<FileState, number> | undefined;
}

/** The fix of a source directory's problem, naming its place in the configuration. */
function sourceHint(problem: RootProblem, setting: string): string {
  switch (problem.kind) {
    case 'missing':
      return `create ${problem.root}, or correct ${setting} in the configuration (then \`s3ferry reload\`)`;
    case 'not-a-directory':
      return `point ${setting} at a directory (then \`s3ferry reload\`)`;
    case 'unreadable':
      return `let the agent's user read ${problem.root}, or correct ${setting} in the configuration`;
  }
}

/** The sources of the job at `index` of the configuration, each with its problem, if any. */
function sourcesOf(
  job: JobConfig,
  index: number,
  problems: readonly RootProblem[],
): SourceStatus[] {
  return job.sources.map((s, i) => {
    const p = problems.find((x) => x.root === resolve(s.path));
    if (p === undefined) return { path: s.path, recursive: s.recursive };
    const setting = `jobs[${index}].sources[${i}]`;
    const problem = {
      kind: p.kind,
      cause: p.message,
      hint: sourceHint(p, setting),
      since: p.since,
    };
    return { path: s.path, recursive: s.recursive, problem };
  });
}

/** The control service of a running agent; see the module comment. */
export class AgentControl implements ControlService {
  readonly source: ControlSource;

  constructor(private readonly deps: AgentControlDeps) {
    // the agent itself: how a client reaches it is the client's to say (http-control.ts)
    this.source = { kind: 'agent', url: '' };
  }

  async status(): Promise<AgentStatusView> {
    const s = await this.deps.agent.status();
    const webhook = this.deps.webhook?.();
    return {
      running: true,
      paused: s.paused,
      jobs: this.#withSources(s.jobs),
      files: s.files,
      inFlight: s.inFlight,
      ...(webhook === undefined ? {} : { webhook }),
      bwlimit: s.bandwidth,
    };
  }

  /** The jobs (configuration order) with their sources' problems. */
  #withSources(jobs: Awaited<ReturnType<Agent['status']>>['jobs']): JobStatus[] {
    const problems = this.deps.agent.sourceProblems();
    const configured = this.deps.agent.config.jobs;
    return jobs.map((j) => {
      const index = configured.findIndex((c) => c.name === j.name);
      const config = configured[index];
      const sources =
        config === undefined ? [] : sourcesOf(config, index, problems.get(j.name) ?? []);
      return { ...j, sources };
    });
  }

  /** The jobs with their configuration, destination, health, sources and file counts. */
  async jobs(): Promise<JobView[]> {
    const [status, counts] = await Promise.all([
      this.status(),
      this.deps.journal.countFilesByJob(),
    ]);
    const runtimes = this.deps.agent.jobs();
    return status.jobs.flatMap((j) => {
      const runtime = runtimes.find((r) => r.name === j.name);
      if (runtime === undefined) return [];
      return [
        {
          ...j,
          mode: runtime.config.mode,
          destinationRef: runtime.destination,
          counts: counts[j.name],
        },
      ];
    });
  }

  /** The destinations as they run, with their health. */
  destinations(): readonly DestinationRuntime[] {
    return this.deps.agent.destinations();
  }

  /** Ready unless every destination is unhealthy (/readyz). */
  readiness(): Readiness {
    return readiness(this.deps.agent.destinations());
  }

  /** A directory under one of a job's sources (the backfill picker). */
  browse(job: string, query: BrowseQuery): Promise<BrowseResult> {
    return this.deps.agent.browse(job, query);
  }

  pause(job?: string): Promise<PauseResult> {
    return this.#switch(job, true);
  }

  resume(job?: string): Promise<PauseResult> {
    return this.#switch(job, false);
  }

  async #switch(job: string | undefined, paused: boolean): Promise<PauseResult> {
    if (paused) await this.deps.agent.pause(job);
    else await this.deps.agent.resume(job);
    const pauses = await this.deps.agent.pauses();
    const note = pauseNote(job, paused, pauses);
    return {
      ...(job === undefined ? {} : { job }),
      paused,
      pauses,
      ...(note === undefined ? {} : { note }),
    };
  }

  async retry(fileId?: number): Promise<RetryResult> {
    const released = await this.deps.agent.retry(fileId === undefined ? {} : { fileIds: [fileId] });
    if (fileId !== undefined && released === 0) await notRetried(this.deps.journal, fileId);
    return { released };
  }

  /**
   * Releases the parked and waiting files whose reason has `code` and of `job` (each when given):
   * the dashboard's retry of a group of failures. Releasing none is no error (they went meanwhile).
   */
  async retryGroup(group: { code?: string; job?: string }): Promise<RetryResult> {
    return { released: await this.deps.agent.retry(group) };
  }

  /** Parked and waiting files grouped by the code of their reason (of one job when given). */
  failures(job?: string): Promise<FailureGroup[]> {
    return this.deps.journal.failureGroups(job === undefined ? {} : { job });
  }

  /** Each job's recent throughput and what is left of its queue, with the time left: stats.ts. */
  async stats(): Promise<QueueStats> {
    const [pauses, left, uploading] = await Promise.all([
      this.deps.agent.pauses(),
      this.deps.journal.sumFilesByJob(LEFT_STATES),
      this.deps.journal.sumFilesByJob(['uploading']),
    ]);
    return queueStats({
      jobs: this.deps.agent.jobs().map((j) => ({
        name: j.name,
        paused: pauses.all || pauses.jobs.includes(j.name),
      })),
      left,
      uploading,
      transfers: this.deps.transfers.list(),
      rates: this.deps.transfers.rates,
    });
  }

  backfill(job: string, request: BackfillRequest): Promise<BackfillResult> {
    return this.deps.agent.backfill(job, request);
  }

  link(request: LinkRequest): Promise<ObjectLink> {
    return this.deps.agent.link(linkAsk(request));
  }

  reload(): Promise<void> {
    return this.deps.reload();
  }

  transfers(): Promise<TransferView[]> {
    return Promise.resolve(this.deps.transfers.list());
  }

  bwlimit(): Promise<BandwidthView> {
    return Promise.resolve(this.deps.agent.bandwidth.view());
  }

  setBwlimit(change: BandwidthChange): Promise<BandwidthView> {
    // an unknown destination, thrown by change(), becomes a rejection
    return Promise.resolve().then(() => this.deps.agent.bandwidth.change(change));
  }

  async queue(query: QueueQuery): Promise<QueueView> {
    return queueFromJournal(this.deps.journal, query);
  }

  history(query: HistoryQuery): Promise<Page<HistoryRecord>> {
    return this.deps.journal.searchHistory(query);
  }

  events(query: EventQuery): Promise<Page<EventRecord>> {
    return eventsFromJournal(this.deps.journal, query);
  }

  report(query: ReportQuery): Promise<ReportPage> {
    return reportFromJournal(this.deps.journal, query);
  }

  async agents(): Promise<AgentsView> {
    const fleet = await this.deps.agent.fleet();
    const leaseMs = this.deps.agent.config.lease;
    return {
      self: fleet.self,
      shared: fleet.shared,
      leaseMs,
      items: agentViews(fleet.agents, fleet.self, this.deps.clock.now(), leaseMs),
    };
  }

  /** The agent and its journal belong to whoever started them. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
