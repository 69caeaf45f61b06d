/**
 * The long-running agent: sources report finished files, the journal queues them, workers claim
 * and process them. Jobs can be paused (files keep being queued), destinations can be unhealthy
 * (their files wait), and the configuration can be reloaded without a restart.
 */
import type { AgentConfig } from '../config/agent-config.js';
import { AppError } from '../errors/app-error.js';
import type { AgentRecord, Pauses, RetryFilter } from '../journal/journal-store.js';
import type { JobSource, RootProblem } from '../sources/job-source.js';
import type { AgentDeps, AgentStatus } from './agent-deps.js';
import { systemZone } from '../platform/local-zone.js';
import { backfillFiles, type BackfillRequest, type BackfillResult } from './backfill.js';
import { BandwidthControl } from './bandwidth-control.js';
import { BusyFiles } from './busy-files.js';
import type { DestinationRuntime } from './destination-runtime.js';
import { FileProcessor } from './file-processor.js';
import { agentInfo, FleetMember } from './fleet-member.js';
import { ManifestWriter, manifestJobOf } from './manifest-writer.js';
import { Intake } from './intake.js';
import { buildJobs, destinationName } from './job-builder.js';
import type { JobRuntime } from './job-runtime.js';
import { objectLink, type LinkAsk, type ObjectLink } from './object-link.js';
import { PauseSwitch } from './pause-switch.js';
import { browseSource, type BrowseQuery, type BrowseResult } from './source-browser.js';
import { Wakeup } from './wakeup.js';
import { WorkerLoop } from './worker-loop.js';

export type { AgentDeps, AgentStatus } from './agent-deps.js';

export class Agent {
  #config: AgentConfig;
  #jobs = new Map<string, JobRuntime>();
  #destinations = new Map<string, DestinationRuntime>();
  #sources: JobSource[] = [];
  /** Files a worker is on: a source's new offer for one waits until the worker is done. */
  readonly #busy = new BusyFiles();
  readonly #wakeup = new Wakeup();
  readonly #stop = new AbortController();
  #workers: Promise<void>[] = [];
  readonly #member: FleetMember;
  readonly #pauses: PauseSwitch;
  readonly #intake: Intake;
  readonly #loop: WorkerLoop;
  /** The bandwidth limits: the agent's over all destinations, each destination's. */
  readonly bandwidth: BandwidthControl;
  /** The jobs' manifests (`manifest: daily | hourly`): manifest-writer.ts. */
  readonly #manifests: ManifestWriter;

  constructor(
    config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.#config = config;
    this.#pauses = new PauseSwitch(deps);
    this.bandwidth = new BandwidthControl({ ...deps, zone: deps.zone ?? systemZone });
    this.#manifests = new ManifestWriter(deps);
    this.#member = new FleetMember({
      ...deps,
      info: agentInfo(deps),
      leaseMs: config.lease,
      onBeat: () => {
        this.#intake.rescanMissed(this.#stop.signal.aborted);
        void this.#pauses.read().catch(() => undefined);
      },
    });
    const job = (name: string) => this.#jobs.get(name);
    this.#intake = new Intake({
      ...deps,
      busy: this.#busy,
      wakeup: this.#wakeup,
      job,
      isPaused: (name) => this.#pauses.isPaused(name),
      rescan: () => this.rescan(),
    });
    this.#loop = new WorkerLoop({
      ...deps,
      member: this.#member,
      processor: new FileProcessor(deps),
      busy: this.#busy,
      wakeup: this.#wakeup,
      stop: this.#stop.signal,
      job,
      claimable: () => this.#claimable(),
      offer: (name, f) => this.#intake.offer(name, f),
    });
  }

  get config(): AgentConfig {
    return this.#config;
  }

  /**
   * Reclaims files a crash left claimed, joins the fleet (first heartbeat), builds jobs, probes
   * destinations, starts sources and workers.
   */
  async start(): Promise<void> {
    // The only agent of its journal: every file still held was held by this agent's previous
    // run, so its holds expire now and the workers take those files first, as another agent of a
    // fleet takes over a dead one's (an 'uploading' file resumes, a 'verifying' one whose source
    // the after-action removed is recorded done). A shared journal leaves them to their leases.
    if (!this.deps.journal.shared) await this.deps.journal.expireHolds(this.deps.clock.now());
    await this.#member.start();
    await this.#build(this.#config);
    this.bandwidth.start();
    await this.#pauses.pauseConfigured(this.#config.jobs);
    const count = this.deps.workers ?? 8;
    this.#workers = Array.from({ length: count }, () => this.#loop.run());
    await this.deps.events.emit(
      'agent.started',
      'info',
      `s3ferry agent started with ${this.#jobs.size} job(s)`,
      { data: { jobs: [...this.#jobs.keys()], agent: this.#member.id } },
    );
  }

  async #build(config: AgentConfig): Promise<void> {
    this.bandwidth.configure(
      config.bwlimit,
      config.jobs.map((j) => ({
        name: destinationName(j.destination),
        configName: j.destinationName,
        timetable: j.destination.bwlimit,
      })),
    );
    const built = buildJobs(config, this.deps, {
      onHealthy: () => {
        this.#wakeup.wake();
      },
      throttles: (name) => this.bandwidth.throttlesFor(name),
      onFinished: (job, f) => this.#intake.offer(job, f),
    });
    this.#jobs = built.jobs;
    this.#destinations = built.destinations;
    await Promise.all([...built.destinations.values()].map((d) => d.check()));
    this.#sources = built.sources;
    await Promise.all(this.#sources.map((s) => s.start()));
    this.#manifests.setJobs([...this.#jobs.values()].map(manifestJobOf));
  }

  /**
   * Jobs whose files may be claimed now: destination healthy. The pause switches are the
   * journal's: the claim itself reads them, so a pause given to any agent of the journal holds.
   */
  #claimable(): string[] {
    return [...this.#jobs.values()].filter((j) => j.destination.health.healthy).map((j) => j.name);
  }

  /**
   * Pauses one job, or everything: the switch is kept in the journal, so it survives restarts and
   * holds for every agent of the journal. Files keep being queued.
   */
  async pause(job?: string): Promise<void> {
    await this.#pauses.set(job, true, (name) => this.#jobs.has(name));
  }

  /** Resumes one job, or everything (see {@link pause}). */
  async resume(job?: string): Promise<void> {
    await this.#pauses.set(job, false, (name) => this.#jobs.has(name));
    this.#wakeup.wake();
  }

  /** The running job of that name; AppError ERR_USAGE (field `job`) when there is none. */
  #job(name: string): JobRuntime {
    const j = this.#jobs.get(name);
    if (j === undefined)
      throw new AppError('ERR_USAGE', `no job named ${name}`, {
        hint: 'see s3ferry status for the jobs',
        details: { field: 'job' },
      });
    return j;
  }

  /** The pause switches of the journal, read now. */
  pauses(): Promise<Pauses> {
    return this.#pauses.read();
  }

  /** The jobs as they run (config, destination), in configuration order. */
  jobs(): readonly JobRuntime[] {
    return [...this.#jobs.values()];
  }

  /** The problems of each job's source directories now (missing, a file): by job name. */
  sourceProblems(): ReadonlyMap<string, readonly RootProblem[]> {
    return new Map(this.#sources.map((s) => [s.job, s.problems()]));
  }

  /** The destinations as they run (health, target), one per distinct configuration. */
  destinations(): readonly DestinationRuntime[] {
    return [...this.#destinations.values()];
  }

  /** Queues existing files of a job now, without the settle wait: backfill.ts. */
  async backfill(jobName: string, request: BackfillRequest): Promise<BackfillResult> {
    const job = this.#job(jobName);
    const result = await backfillFiles(job, request, {
      ...this.deps,
      paused: this.#pauses.isPaused(jobName),
      busy: this.#busy,
    });
    if (result.queued.length > 0) this.#wakeup.wake();
    return result;
  }

  /** Lists a directory under one of a job's sources: source-browser.ts. */
  browse(jobName: string, query: BrowseQuery): Promise<BrowseResult> {
    return browseSource(this.#job(jobName), this.deps.journal, query);
  }

  /**
   * Releases parked or waiting files (one by id, all, or those of a job or a reason's code) for
   * another try, in one guarded statement: a file claimed meanwhile is left to its holder.
   * Returns how many.
   */
  async retry(filter: RetryFilter = {}): Promise<number> {
    const now = this.deps.clock.now();
    const n = await this.deps.journal.releaseForRetry(filter, now);
    for (const d of this.#destinations.values()) if (!d.health.healthy) await d.check();
    this.#wakeup.wake();
    await this.deps.events.emit('files.retry', 'info', `${n} file(s) released for another try`, {
      data: { count: n },
    });
    return n;
  }

  /** Swaps in a new configuration: sources and destinations are rebuilt; the journal stays. */
  async reload(config: AgentConfig): Promise<void> {
    const before = new Set(this.#jobs.keys());
    await Promise.all(this.#sources.map((s) => s.close()));
    const old = [...this.#destinations.values()];
    this.#jobs = new Map();
    this.#config = config;
    await this.#build(config);
    // The switches of the jobs that ran stay as they are; a new job may start paused.
    await this.#pauses.pauseConfigured(config.jobs.filter((j) => !before.has(j.name)));
    // In-flight uploads keep their old target until they finish; close it afterwards.
    void Promise.all(old.map((d) => d.close())).catch(() => undefined);
    await this.deps.events.emit(
      'config.reloaded',
      'info',
      `configuration reloaded: ${config.jobs.length} job(s)`,
    );
    this.#wakeup.wake();
  }

  /** This agent's id and the agents sharing its journal, with their last heartbeat. */
  async fleet(): Promise<{ self: string; shared: boolean; agents: AgentRecord[] }> {
    return {
      self: this.#member.id,
      shared: this.deps.journal.shared,
      agents: await this.deps.journal.listAgents(),
    };
  }

  async status(): Promise<AgentStatus> {
    const pauses = await this.#pauses.read();
    return {
      paused: pauses.all,
      jobs: [...this.#jobs.values()].map((j) => {
        const capabilities = j.destination.capabilities.last;
        return {
          name: j.name,
          paused: pauses.jobs.includes(j.name),
          destination: j.destination.name,
          health: j.destination.health,
          ...(capabilities === undefined ? {} : { capabilities }),
        };
      }),
      files: await this.deps.journal.countFiles(),
      inFlight: this.#loop.inFlight,
      bandwidth: this.bandwidth.view(),
    };
  }

  /** A download link for an uploaded file or a key of a job's destination: object-link.ts. */
  link(ask: LinkAsk): Promise<ObjectLink> {
    return objectLink(ask, {
      journal: this.deps.journal,
      clock: this.deps.clock,
      destinations: [...this.#destinations.values()],
      jobs: [...this.#jobs.values()],
      job: (name) => this.#job(name),
    });
  }

  /** Rescans every source now (tests, the API's backfill). */
  async rescan(): Promise<void> {
    await Promise.all(this.#sources.map((s) => s.rescanNow()));
  }

  /** Stops sources and workers; uploads in flight are interrupted and resume at the next start. */
  async close(): Promise<void> {
    await Promise.all(this.#sources.map((s) => s.close()));
    this.#stop.abort();
    this.#wakeup.wake();
    await Promise.allSettled(this.#workers);
    await this.bandwidth.close();
    await this.#manifests.close();
    await this.#member.leave();
    await Promise.all([...this.#destinations.values()].map((d) => d.close()));
    await this.deps.events
      .emit('agent.stopped', 'info', 's3ferry agent stopped')
      .catch(() => undefined);
  }
}
