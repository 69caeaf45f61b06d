/**
 * The long-running agent: sources report finished files, the journal queues them, workers claim
 * and process them. Jobs can be paused (files keep being queued), destinations can be unhealthy
 * (their files wait), and the configuration can be reloaded without a restart.
 */
import type { AgentConfig, JobConfig } from '../config/agent-config.js';
import { AppError, isAppError } from '../errors/app-error.js';
import { backoffDelay } from '../domain/backoff.js';
import { isMarker } from '../domain/file-filter.js';
import type {
  AgentRecord,
  FileRecord,
  FileState,
  JournalStore,
  Pauses,
} from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../transfer/file-system.js';
import type { Md5Hasher } from '../transfer/transfer-types.js';
import { JobSource } from '../sources/job-source.js';
import type { WatcherFactory } from '../sources/watcher.js';
import { admit, enqueueTaken, type Candidate } from './admission.js';
import { backfillFiles, type BackfillRequest, type BackfillResult } from './backfill.js';
import { BusyFiles } from './busy-files.js';
import { DestinationRuntime, type ClosableTarget } from './destination-runtime.js';
import type { EventSink } from './event-sink.js';
import { FileProcessor } from './file-processor.js';
import { FleetMember } from './fleet-member.js';
import { buildJobs } from './job-builder.js';
import type { JobRuntime } from './job-runtime.js';
import { objectLink, type ObjectLink } from './object-link.js';
import { browseSource, type BrowseQuery, type BrowseResult } from './source-browser.js';
import type { TransferTracker } from './transfer-tracker.js';
import { Wakeup } from './wakeup.js';

export interface AgentDeps {
  readonly journal: JournalStore;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly fs: FileSystem;
  readonly watcherFactory: WatcherFactory;
  readonly buildTarget: (destination: JobConfig['destination']) => ClosableTarget;
  readonly hostname: string;
  readonly owner: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly random: () => number;
  /** The process's MD5 worker pool, lent to every destination's transfer service. */
  readonly hasher?: Md5Hasher;
  /** Files processed at once over all jobs. */
  readonly workers?: number;
  /** Where running uploads report their progress (the API's live transfers). */
  readonly transfers?: TransferTracker;
  /** s3ferry's version, shown with the agent in the fleet list. */
  readonly version?: string;
}

export interface AgentStatus {
  readonly paused: boolean;
  readonly jobs: {
    name: string;
    paused: boolean;
    destination: string;
    health: DestinationRuntime['health'];
  }[];
  readonly files: Record<FileState, number>;
  readonly inFlight: number;
}

export class Agent {
  #config: AgentConfig;
  #jobs = new Map<string, JobRuntime>();
  #destinations = new Map<string, DestinationRuntime>();
  #sources: JobSource[] = [];
  /** The journal's pause switches as last read (they hold for every agent of the journal). */
  #pauses: Pauses = { all: false, jobs: [] };
  #inFlight = 0;
  /** Files a worker is on: a source's new offer for one waits until the worker is done. */
  readonly #busy = new BusyFiles();
  readonly #wakeup = new Wakeup();
  readonly #stop = new AbortController();
  #workers: Promise<void>[] = [];
  /** A source could not hand a finished file over (the journal failed): rescan once it answers. */
  #missedOffers = false;
  readonly #processor: FileProcessor;
  readonly #member: FleetMember;

  constructor(
    config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.#config = config;
    this.#processor = new FileProcessor(deps);
    this.#member = new FleetMember({
      journal: deps.journal,
      clock: deps.clock,
      events: deps.events,
      info: {
        id: deps.owner,
        hostname: deps.hostname,
        pid: process.pid,
        startedAt: deps.clock.now(),
        version: deps.version ?? '0.0.0',
      },
      leaseMs: config.lease,
      onBeat: () => {
        this.#rescanMissed();
        void this.#readPauses().catch(() => undefined);
      },
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
    if (!this.deps.journal.shared) await this.#reclaim();
    await this.#member.start();
    await this.#build(this.#config);
    await this.#pauseConfigured(this.#config.jobs.map((j) => j.name));
    const count = this.deps.workers ?? 8;
    this.#workers = Array.from({ length: count }, () => this.#work());
    await this.deps.events.emit(
      'agent.started',
      'info',
      `s3ferry agent started with ${this.#jobs.size} job(s)`,
      { data: { jobs: [...this.#jobs.keys()], agent: this.#member.id } },
    );
  }

  /**
   * The only agent of its journal: every file still held was held by this agent's previous run, so
   * its holds expire now and the workers take those files first, as another agent of a fleet takes
   * over a dead one's (file-processor.ts: an 'uploading' file resumes, a 'verifying' one whose
   * source the after-action removed is recorded done). A shared journal leaves them to their
   * leases: they may belong to live agents.
   */
  async #reclaim(): Promise<void> {
    await this.deps.journal.expireHolds(this.deps.clock.now());
  }

  /** Jobs configured `paused: true` start paused: their switch is set in the journal. */
  async #pauseConfigured(names: readonly string[]): Promise<void> {
    const now = this.deps.clock.now();
    for (const name of names)
      if (this.#jobs.get(name)?.config.paused === true)
        await this.deps.journal.setPaused({ job: name }, true, now);
    await this.#readPauses();
  }

  /** Reads the journal's pause switches (another agent of the fleet may have changed them). */
  async #readPauses(): Promise<Pauses> {
    this.#pauses = await this.deps.journal.pauses();
    return this.#pauses;
  }

  #isPaused(job: string): boolean {
    return this.#pauses.all || this.#pauses.jobs.includes(job);
  }

  async #build(config: AgentConfig): Promise<void> {
    const built = buildJobs(config, this.deps, {
      onHealthy: () => {
        this.#wakeup.wake();
      },
      onFinished: (job, f) => this.#offer(job, f),
    });
    this.#jobs = built.jobs;
    this.#destinations = built.destinations;
    await Promise.all([...built.destinations.values()].map((d) => d.check()));
    this.#sources = built.sources;
    await Promise.all(this.#sources.map((s) => s.start()));
  }

  /** A finished file from a source: apply the job's rules and queue it. */
  async #offer(jobName: string, f: Candidate): Promise<void> {
    const job = this.#jobs.get(jobName);
    if (job === undefined) return;
    const name = f.relPath.slice(f.relPath.lastIndexOf('/') + 1);
    const suffix = job.config.markerSuffix;
    if (suffix !== undefined && isMarker(name, suffix)) {
      // The marker arrived: offer the file it marks.
      const main = f.absPath.slice(0, -suffix.length);
      const st = await this.deps.fs.stat(main).catch(() => undefined);
      if (st?.isFile === true)
        await this.#offer(jobName, {
          absPath: main,
          relPath: f.relPath.slice(0, -suffix.length),
          size: st.size,
          mtimeMs: st.mtimeMs,
          inode: st.inode,
          ...(st.ctimeMs === undefined ? {} : { ctimeMs: st.ctimeMs }),
        });
      return;
    }
    const now = this.deps.clock.now();
    const exists = (p: string) =>
      this.deps.fs.stat(p).then(
        () => true,
        () => false,
      );
    if (!(await admit(job, f, now, exists)).take) return;
    if (this.#busy.hold(jobName, f)) return;
    let queued: boolean;
    try {
      ({ queued } = await enqueueTaken(this.deps, job, f, now, {
        paused: this.#isPaused(jobName),
      }));
    } catch (err) {
      this.#missedOffers = true;
      throw err; // the source reports it
    }
    if (queued) this.#wakeup.wake();
  }

  /**
   * The journal answers again after failing to queue files (a database down longer than its
   * retries, a full disk): the sources would find them only at their next periodic rescan (an
   * hour by default), so rescan now. Files already queued are left as they are.
   */
  #rescanMissed(): void {
    if (!this.#missedOffers || this.#stop.signal.aborted) return;
    this.#missedOffers = false;
    void this.rescan().catch(() => undefined);
  }

  /**
   * Jobs whose files may be claimed now: destination healthy. The pause switches are the
   * journal's: the claim itself reads them, so a pause given to any agent of the journal holds.
   */
  #claimable(): string[] {
    return [...this.#jobs.values()].filter((j) => j.destination.health.healthy).map((j) => j.name);
  }

  async #work(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const wait = this.#wakeup.next();
      let file: FileRecord | undefined;
      try {
        const jobs = this.#claimable();
        if (jobs.length > 0)
          file = await this.deps.journal.claim(this.deps.clock.now(), this.#member.claim, jobs);
      } catch (err) {
        await this.deps.events
          .emit('agent.error', 'error', `cannot claim work: ${String(err)}`)
          .catch(() => undefined);
      }
      const job = file === undefined ? undefined : this.#jobs.get(file.job);
      if (file === undefined || job === undefined) {
        if (file !== undefined) await this.#cancelOrphan(file);
        await Wakeup.either(wait, 1000, this.deps.clock);
        continue;
      }
      // Our own claim, renewed too late: the worker that holds it carries on.
      if (this.#member.holds(file.id)) continue;
      this.#inFlight += 1;
      this.#busy.begin(file.job, file.path);
      const signal = this.#member.hold(file.id, file.path, this.#stop.signal);
      try {
        await this.#processor.process(file, job, signal);
      } catch (err) {
        // The outcome could not be recorded (the journal failed): the file is still 'uploading'.
        await this.#requeueWhenWritable(file, err);
      } finally {
        this.#member.release(file.id);
        this.#inFlight -= 1;
        const again = this.#busy.end(file.job, file.path);
        if (again !== undefined)
          await this.#offer(file.job, again).catch((err: unknown) => this.#report(err));
      }
    }
  }

  /** A claimed file whose job is no longer configured: cancelled (the reason says why). */
  async #cancelOrphan(file: FileRecord): Promise<void> {
    const hold = { fileId: file.id, owner: this.#member.id };
    const message = `job ${file.job} is no longer configured`;
    await this.deps.journal
      .cancel(hold, this.deps.clock.now(), { reason: { code: 'job-removed', message, hint: null } })
      .catch((err: unknown) => this.#report(err));
  }

  /**
   * After a journal failure (a full disk, an I/O error), gives the file back (release) as soon
   * as the journal can be written again. Nothing is lost meanwhile: the upload stays open in the
   * store and resumes. On stop the file stays 'uploading', which the next start re-queues.
   */
  async #requeueWhenWritable(file: FileRecord, err: unknown): Promise<void> {
    const why = err instanceof Error ? err.message : String(err);
    await this.#report(
      new AppError(
        'ERR_JOURNAL',
        `the outcome of ${file.path} could not be recorded (${why}); it is queued again as soon as the journal can be written`,
        { hint: (isAppError(err) ? err.hint : undefined) ?? 'check the disk holding the journal' },
      ),
    );
    const stop = this.#stop.signal;
    for (let attempt = 1; ; attempt += 1) {
      const delay = backoffDelay(attempt, this.deps.random(), { baseMs: 1_000, capMs: 30_000 });
      // a stop ends the wait early (rejects); the next start re-queues the file
      const stopped = await this.deps.clock.sleep(delay, stop).then(
        () => false,
        () => true,
      );
      if (stopped) return;
      try {
        const hold = { fileId: file.id, owner: this.#member.id };
        await this.deps.journal.release(hold, this.deps.clock.now(), {
          reason: {
            code: 'released',
            message: `queued again after a journal failure: ${why}`,
            hint: null,
          },
        });
      } catch (failed) {
        // Taken over meanwhile (its lease lapsed while the journal failed): nothing to give back.
        if (isAppError(failed, 'ERR_LEASE_LOST')) return;
        continue;
      }
      this.#wakeup.wake();
      return;
    }
  }

  /** Logs an internal failure as an event; the log line is written even when the journal is not. */
  async #report(err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const hint = isAppError(err) ? (err.hint ?? null) : null;
    const code = isAppError(err) ? err.code : 'ERR_INTERNAL';
    await this.deps.events
      .emit('agent.error', 'error', message, { data: { code, hint } })
      .catch(() => undefined);
  }

  /**
   * Pauses one job, or everything: the switch is kept in the journal, so it survives restarts and
   * holds for every agent of the journal. Files keep being queued.
   */
  async pause(job?: string): Promise<void> {
    await this.#switch(job, true);
  }

  /** Resumes one job, or everything (see {@link pause}). */
  async resume(job?: string): Promise<void> {
    await this.#switch(job, false);
    this.#wakeup.wake();
  }

  async #switch(job: string | undefined, paused: boolean): Promise<void> {
    if (job !== undefined) this.#job(job);
    const word = paused ? 'paused' : 'resumed';
    const now = this.deps.clock.now();
    const change = await this.deps.journal.setPaused(
      job === undefined ? {} : { job },
      paused,
      now,
      {
        at: now,
        type: job === undefined ? `agent.${word}` : `job.${word}`,
        level: 'info',
        message: job === undefined ? `processing ${word}` : `job ${job} ${word}`,
        data: { job: job ?? null },
      },
    );
    this.#pauses = change.pauses;
    this.deps.events.announce(change.event);
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
    return this.#readPauses();
  }

  /** The jobs as they run (config, destination), in configuration order. */
  jobs(): readonly JobRuntime[] {
    return [...this.#jobs.values()];
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
      paused: this.#isPaused(jobName),
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
   * Releases parked or waiting files (one, or all) for another try, in one guarded statement: a
   * file claimed meanwhile is left to its holder. Returns how many.
   */
  async retry(fileId?: number): Promise<number> {
    const now = this.deps.clock.now();
    const filter = fileId === undefined ? {} : { fileIds: [fileId] };
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
    await this.#pauseConfigured(config.jobs.map((j) => j.name).filter((n) => !before.has(n)));
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
    const pauses = await this.#readPauses();
    return {
      paused: pauses.all,
      jobs: [...this.#jobs.values()].map((j) => ({
        name: j.name,
        paused: pauses.jobs.includes(j.name),
        destination: j.destination.name,
        health: j.destination.health,
      })),
      files: await this.deps.journal.countFiles(),
      inFlight: this.#inFlight,
    };
  }

  /** A download link for an uploaded file or a key of a job's destination: object-link.ts. */
  link(what: string, jobName?: string, expiresMs?: number): Promise<ObjectLink> {
    return objectLink(what, jobName, expiresMs, {
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
    await this.#member.leave();
    await Promise.all([...this.#destinations.values()].map((d) => d.close()));
    await this.deps.events
      .emit('agent.stopped', 'info', 's3ferry agent stopped')
      .catch(() => undefined);
  }
}
