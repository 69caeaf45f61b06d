/**
 * The answer of /api/v1/stats: each job's throughput over the last minute (job-rates.ts, counted
 * by the agent as the uploads go, never read from the journal) and what is left of its queue
 * (files queued, waiting or uploading, and their bytes less what the running uploads sent), with
 * the time left at that throughput (domain/queue-eta.ts). The total leaves out the paused jobs,
 * whose files do not move until someone resumes them. In a fleet the throughput is this agent's:
 * while other agents upload a job's files and nothing moves here, its time left is `starting`
 * (no estimate), never `stalled`.
 */
import type { JobRates } from '../agent/job-rates.js';
import type { TransferView } from '../agent/transfer-tracker.js';
import type { FileState } from '../domain/file-state.js';
import { queueEta, type QueueEta, type QueueLeft } from '../domain/queue-eta.js';
import type { FileTotals } from '../journal/journal-store.js';

/** The states of the files left to send (settling files are not finished; verifying ones sent). */
export const LEFT_STATES: readonly FileState[] = ['queued', 'waiting', 'uploading'];

/** A job's (or all jobs') throughput, what is left, and the time left. */
export interface ThroughputStats {
  /** Bytes the store accepted per second, over the window. */
  readonly bytesPerSec: number;
  /** Files uploaded and verified per second, over the window. */
  readonly filesPerSec: number;
  readonly left: QueueLeft;
  readonly eta: QueueEta;
}

export interface JobThroughputStats extends ThroughputStats {
  readonly name: string;
  readonly paused: boolean;
}

/** The answer of /stats. */
export interface QueueStats {
  /** The window of the throughput, ms. */
  readonly windowMs: number;
  readonly jobs: JobThroughputStats[];
  /** Every job that is not paused (its time left is paused when only paused jobs have files). */
  readonly total: ThroughputStats;
}

/** What the stats are made of. */
export interface QueueStatsInput {
  /** The configured jobs; `paused` also when all processing is. */
  readonly jobs: readonly { readonly name: string; readonly paused: boolean }[];
  /** Files and bytes in {@link LEFT_STATES}, per job (the journal's count). */
  readonly left: Readonly<Record<string, FileTotals>>;
  /** Files uploading, per job, by any agent of the journal (absent: none). */
  readonly uploading?: Readonly<Record<string, FileTotals>>;
  /** This agent's running uploads (their bytes sent are not left). */
  readonly transfers: readonly TransferView[];
  readonly rates: Pick<JobRates, 'now' | 'rate' | 'young' | 'windowMs'>;
}

/** See the module comment. */
export function queueStats(input: QueueStatsInput): QueueStats {
  const { rates } = input;
  // every rate at one instant: the total is then at least each job's
  const now = rates.now();
  const young = rates.young(now);
  let busyElsewhere = false;
  const jobs = input.jobs.map((j): JobThroughputStats => {
    const total = input.left[j.name] ?? { files: 0, bytes: 0 };
    const sent = input.transfers
      .filter((t) => t.job === j.name)
      .reduce((n, t) => n + t.bytesDone, 0);
    const left = { files: total.files, bytes: Math.max(0, total.bytes - sent) };
    const rate = rates.rate(j.name, now);
    // other agents of a fleet upload files of the job: they move, at a speed this agent never sees
    const mine = input.transfers.filter((t) => t.job === j.name).length;
    const elsewhere = (input.uploading?.[j.name]?.files ?? 0) > mine;
    if (elsewhere) busyElsewhere = true;
    const starting = young || rate.beganRecently || elsewhere;
    return {
      name: j.name,
      paused: j.paused,
      bytesPerSec: rate.bytesPerSec,
      filesPerSec: rate.filesPerSec,
      left,
      eta: queueEta(left, rate, { paused: j.paused, starting }),
    };
  });
  const running = jobs.filter((j) => !j.paused);
  const left = {
    files: running.reduce((n, j) => n + j.left.files, 0),
    bytes: running.reduce((n, j) => n + j.left.bytes, 0),
  };
  const rate = rates.rate(undefined, now);
  // nothing of the running jobs is left, but paused ones have files: the queue waits for a person
  const withFiles = jobs.filter((j) => j.left.files > 0);
  const allPaused = withFiles.length > 0 && withFiles.every((j) => j.paused);
  return {
    windowMs: rates.windowMs,
    jobs,
    total: {
      bytesPerSec: rate.bytesPerSec,
      filesPerSec: rate.filesPerSec,
      left,
      eta: allPaused
        ? { state: 'paused', ms: null }
        : queueEta(left, rate, {
            paused: false,
            starting: young || rate.beganRecently || busyElsewhere,
          }),
    },
  };
}
