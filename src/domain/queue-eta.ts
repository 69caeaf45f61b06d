/**
 * When the queue will be done: the files and bytes left, divided by the throughput of a recent
 * window (the agent's JobRates). Never a made-up number: while nothing moves there is no estimate,
 * only the reason (paused, starting, stalled). Pure: the caller gives the rates and the situation.
 */

/** What is left to send: files and their bytes. */
export interface QueueLeft {
  readonly files: number;
  readonly bytes: number;
}

/** Throughput over the recent window. */
export interface Throughput {
  readonly bytesPerSec: number;
  readonly filesPerSec: number;
}

/**
 * empty: nothing is left; moving: an estimate from the recent throughput; paused: the job (or all
 * processing) is paused; starting: nothing moved yet, but an upload began within the window (or
 * the window is younger than its length, or other agents upload the files); stalled: files are
 * left and nothing moved for a whole window.
 */
export const ETA_STATES = ['empty', 'moving', 'paused', 'starting', 'stalled'] as const;
export type EtaState = (typeof ETA_STATES)[number];

/** An estimate: `ms` only while moving. */
export interface QueueEta {
  readonly state: EtaState;
  /** Time left, ms; null unless `state` is moving. */
  readonly ms: number | null;
}

/** What the rates alone do not say. */
export interface EtaSituation {
  readonly paused: boolean;
  /**
   * An upload began within the window, the window is younger than its length, or other agents
   * upload the files (their throughput is not this agent's to measure).
   */
  readonly starting: boolean;
}

/**
 * The estimate. Moving: the longer of bytes left / bytes per second and files left / files per
 * second, each where its rate is above 0 (many small files are bound by the files' rate, a large
 * one by the bytes'); a rate of 0 gives no part of the estimate.
 */
export function queueEta(left: QueueLeft, rate: Throughput, situation: EtaSituation): QueueEta {
  if (left.files <= 0) return { state: 'empty', ms: null };
  if (situation.paused) return { state: 'paused', ms: null };
  const byBytes = rate.bytesPerSec > 0 ? Math.max(0, left.bytes) / rate.bytesPerSec : 0;
  const byFiles = rate.filesPerSec > 0 ? left.files / rate.filesPerSec : 0;
  if (rate.bytesPerSec > 0 || rate.filesPerSec > 0)
    return { state: 'moving', ms: Math.round(Math.max(byBytes, byFiles) * 1000) };
  return { state: situation.starting ? 'starting' : 'stalled', ms: null };
}
