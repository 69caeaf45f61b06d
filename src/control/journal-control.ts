/**
 * The control service on the journal itself, for the CLI when no agent answers: the queries, the
 * status the journal knows (file counts, pause switches), retry (the journal's one guarded
 * statement, so a file an agent claims meanwhile is left alone), pause and resume (the switches
 * live in the journal: an agent reads them when it starts, and a running one at its next
 * heartbeat), and links signed with the configuration's destination. What needs the running agent
 * (backfill, reload, live transfers) is refused with ERR_USAGE saying so.
 */
import type { DestinationConfig, AgentConfig } from '../config/agent-config.js';
import { destinationPath } from '../config/schema.js';
import {
  objectLink,
  type LinkDestination,
  type LinkJob,
  type LinkTarget,
  type ObjectLink,
} from '../agent/object-link.js';
import { AppError } from '../errors/app-error.js';
import type {
  EventQuery,
  EventRecord,
  HistoryQuery,
  HistoryRecord,
  JournalStore,
  Page,
} from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import { agentViews, linkAsk, notRetried, pauseNote } from './control-rules.js';
import type {
  AgentsView,
  BackfillResult,
  BandwidthView,
  ControlService,
  ControlSource,
  JournalStatusView,
  LinkRequest,
  PauseResult,
  QueueQuery,
  QueueView,
  RetryResult,
  TransferView,
} from './control-service.js';
import { eventsFromJournal, queueFromJournal } from './journal-reads.js';
import { reportFromJournal, type ReportPage, type ReportQuery } from './report.js';

/** The lease of a configuration's default, when none was found (agents alive within it). */
const DEFAULT_LEASE_MS = 30_000;

/** A store the CLI made for a link, closed once the link is made. */
export type ClosableLinkTarget = LinkTarget & { destroy(): void };

/** What the service on the journal works with. */
export interface JournalControlDeps {
  readonly journal: JournalStore;
  /** The journal as it may be shown (file, or database URL without the password). */
  readonly journalName: string;
  /** The agent's configuration, when one was found (jobs, destinations for links). */
  readonly config?: AgentConfig | undefined;
  readonly clock: Clock;
  /** Why no agent was asked although one holds the journal. */
  readonly note?: string | undefined;
  /** Where the CLI looked for an agent, for the refusal of what needs one. */
  readonly noAgent: string;
  /**
   * The store of a destination (agent/compose.ts targetFor), for links; `path` is where it is
   * written in s3ferry.yaml (`destinations.NAME`, `jobs[i].destination`), for the fixes of errors.
   */
  readonly buildTarget: (destination: DestinationConfig, path: string) => ClosableLinkTarget;
}

/** The control service on the journal; see the module comment. */
export class JournalControl implements ControlService {
  readonly source: ControlSource;

  constructor(private readonly deps: JournalControlDeps) {
    this.source = {
      kind: 'journal',
      journal: deps.journalName,
      ...(deps.note === undefined ? {} : { note: deps.note }),
    };
  }

  #needsAgent(command: string): AppError {
    return new AppError('ERR_USAGE', `${this.deps.noAgent}: \`s3ferry ${command}\` needs one`, {
      hint: 'start it with `s3ferry run`, or point --api-url / --config at it',
    });
  }

  /** The configured jobs, else the jobs the journal knows (files or a pause switch). */
  async #jobNames(): Promise<string[]> {
    if (this.deps.config !== undefined) return this.deps.config.jobs.map((j) => j.name);
    const [counts, pauses] = await Promise.all([
      this.deps.journal.countFilesByJob(),
      this.deps.journal.pauses(),
    ]);
    return [...new Set([...Object.keys(counts), ...pauses.jobs])].sort();
  }

  async status(): Promise<JournalStatusView> {
    const [files, pauses, names, capabilities] = await Promise.all([
      this.deps.journal.countFiles(),
      this.deps.journal.pauses(),
      this.#jobNames(),
      this.deps.journal.listCapabilities(),
    ]);
    return {
      running: false,
      journal: this.deps.journalName,
      ...(this.deps.note === undefined ? {} : { note: this.deps.note }),
      paused: pauses.all,
      jobs: names.map((name) => ({ name, paused: pauses.jobs.includes(name) })),
      files,
      ...(capabilities.length === 0 ? {} : { capabilities }),
    };
  }

  pause(job?: string): Promise<PauseResult> {
    return this.#switch(job, true);
  }

  resume(job?: string): Promise<PauseResult> {
    return this.#switch(job, false);
  }

  async #switch(job: string | undefined, paused: boolean): Promise<PauseResult> {
    if (job !== undefined) {
      const known = await this.#jobNames();
      if (!known.includes(job))
        throw new AppError('ERR_USAGE', `no job named ${job}`, {
          hint:
            this.deps.config === undefined
              ? `the journal knows ${known.length === 0 ? 'no job' : known.join(', ')}; give --config to name a job it has no file of yet`
              : 'see s3ferry status for the jobs',
          details: { field: 'job' },
        });
    }
    const word = paused ? 'paused' : 'resumed';
    const now = this.deps.clock.now();
    const { pauses } = await this.deps.journal.setPaused(
      job === undefined ? {} : { job },
      paused,
      now,
      {
        at: now,
        type: job === undefined ? `agent.${word}` : `job.${word}`,
        level: 'info',
        message: `${job === undefined ? 'processing' : `job ${job}`} ${word} (by the CLI, on the journal)`,
        data: { job: job ?? null },
      },
    );
    const note = pauseNote(job, paused, pauses);
    return {
      ...(job === undefined ? {} : { job }),
      paused,
      pauses,
      ...(note === undefined ? {} : { note }),
    };
  }

  async retry(fileId?: number): Promise<RetryResult> {
    const now = this.deps.clock.now();
    const filter = fileId === undefined ? {} : { fileIds: [fileId] };
    const released = await this.deps.journal.releaseForRetry(filter, now);
    if (fileId !== undefined && released === 0) await notRetried(this.deps.journal, fileId);
    await this.deps.journal.appendEvent({
      at: now,
      type: 'files.retry',
      level: 'info',
      message: `${released} file(s) released for another try (by the CLI, on the journal)`,
      data: { count: released },
    });
    return { released };
  }

  backfill(): Promise<BackfillResult> {
    return Promise.reject(this.#needsAgent('backfill'));
  }

  reload(): Promise<void> {
    return Promise.reject(this.#needsAgent('reload'));
  }

  transfers(): Promise<TransferView[]> {
    return Promise.reject(this.#needsAgent('transfers'));
  }

  bwlimit(): Promise<BandwidthView> {
    return Promise.reject(this.#needsAgent('bwlimit'));
  }

  setBwlimit(): Promise<BandwidthView> {
    return Promise.reject(this.#needsAgent('bwlimit'));
  }

  async link(request: LinkRequest): Promise<ObjectLink> {
    const config = this.deps.config;
    if (config === undefined)
      throw new AppError(
        'ERR_USAGE',
        'no agent answers, and no configuration names the destinations to link into',
        {
          hint: "give --config (the agent's s3ferry.yaml), or start the agent",
        },
      );
    const { jobs, destinations } = linkJobs(config, this.deps.buildTarget);
    try {
      return await objectLink(linkAsk(request), {
        journal: this.deps.journal,
        clock: this.deps.clock,
        destinations,
        jobs,
        job: (name) => {
          const found = jobs.find((j) => j.name === name);
          if (found === undefined)
            throw new AppError('ERR_USAGE', `no job named ${name}`, {
              hint: 'see s3ferry status for the jobs',
              details: { field: 'job' },
            });
          return found;
        },
      });
    } finally {
      for (const d of destinations) d.target.destroy();
    }
  }

  queue(query: QueueQuery): Promise<QueueView> {
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
    const leaseMs = this.deps.config?.lease ?? DEFAULT_LEASE_MS;
    const agents = await this.deps.journal.listAgents();
    return {
      shared: this.deps.journal.shared,
      leaseMs,
      items: agentViews(agents, undefined, this.deps.clock.now(), leaseMs),
    };
  }

  close(): Promise<void> {
    return this.deps.journal.close();
  }
}

/** The configuration's jobs for links: one store per distinct destination, as the agent has. */
function linkJobs(
  config: AgentConfig,
  build: JournalControlDeps['buildTarget'],
): { jobs: LinkJob[]; destinations: (LinkDestination & { target: ClosableLinkTarget })[] } {
  const byConfig = new Map<string, LinkDestination & { target: ClosableLinkTarget }>();
  const jobs = config.jobs.map((j, index) => {
    const key = JSON.stringify(j.destination);
    let destination = byConfig.get(key);
    if (destination === undefined) {
      destination = {
        config: j.destination,
        target: build(j.destination, destinationPath(j, index)),
      };
      byConfig.set(key, destination);
    }
    return { name: j.name, destination };
  });
  return { jobs, destinations: [...byConfig.values()] };
}
