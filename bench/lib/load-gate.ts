/**
 * The load gate of `npm run bench` and `npm run bench:fleet` (issue 14): on a machine of two
 * cores shared with other work, a run started while something else keeps the CPU busy measures
 * that other work as much as s3ferry, and its ratios mean nothing. So before a run the 1-minute
 * load average must be at most {@link MAX_LOAD_1MIN} (the project's brief wants it under
 * {@link WANTED_LOAD_1MIN}); the bench says so at the start and waits up to `--load-wait` minutes
 * for the load to settle.
 *
 * If it stays high, the bench refuses to run unless `--ignore-load` is given; with it, the run
 * goes on and its report says "not usable: load X" in place of every ratio and target. Refusing
 * by default, rather than running and marking the report, because a full run takes half an hour
 * of the two shared cores (more load for everyone else) and rewrites docs/benchmarks.md: an
 * unusable report must never replace a usable one by accident. `--ignore-load` keeps the harness
 * testable on a busy machine (a `--quick` smoke run), its report marked as such.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The highest 1-minute load average before a run whose ratios are reported (issue 14). */
export const MAX_LOAD_1MIN = 0.5;
/** What "Measuring honestly on two cores" wants; between this and the limit the report warns. */
export const WANTED_LOAD_1MIN = 0.3;
/** Default of `--load-wait`, minutes. */
export const DEFAULT_LOAD_WAIT_MIN = 10;
/** How often the load is read while waiting. */
export const LOAD_POLL_MS = 15_000;

/** What the gate decides at one reading of the load. */
export type LoadDecision =
  /** Quiet enough: run, ratios reported. */
  | 'run'
  /** Too busy, and there is time left to wait for it to settle. */
  | 'wait'
  /** Too busy and no time left, --ignore-load given: run, the report marked not usable. */
  | 'run-unusable'
  /** Too busy and no time left, no --ignore-load: do not run. */
  | 'refuse';

/**
 * The gate's decision. `load1` is the 1-minute load average (NaN when it could not be read: then
 * the machine is not known to be quiet). Pure: the caller reads the load and the clock.
 */
export function loadGateDecision(s: {
  readonly load1: number;
  readonly waitedMs: number;
  readonly maxWaitMs: number;
  readonly ignoreLoad: boolean;
  readonly limit?: number;
}): LoadDecision {
  if (s.load1 <= (s.limit ?? MAX_LOAD_1MIN)) return 'run';
  if (s.waitedMs < s.maxWaitMs) return 'wait';
  return s.ignoreLoad ? 'run-unusable' : 'refuse';
}

/** What a run records of the gate (in its results, for the report). */
export interface LoadGateRecord {
  /** The 1-minute load average when the run began (after any wait). */
  readonly load1: number;
  readonly limit: number;
  readonly waitedSec: number;
}

/** Whether a run's ratios may be reported, and the words the report uses for it. */
export interface Usability {
  readonly usable: boolean;
  readonly load1: number;
  /** e.g. "not usable: load 1.20"; '' when usable. */
  readonly label: string;
}

/**
 * Usability of a run's report, from its gate record, or for results older than the gate from
 * the load average recorded before the run ("1.20 0.80 0.50"): the same rule either way.
 */
export function usability(gate: LoadGateRecord | undefined, loadAvgBefore: string): Usability {
  const load1 = gate?.load1 ?? Number(loadAvgBefore.trim().split(/\s+/)[0]);
  const usable = loadGateDecision({ load1, waitedMs: 0, maxWaitMs: 0, ignoreLoad: true }) === 'run';
  return {
    usable,
    load1,
    label: usable ? '' : `not usable: load ${Number.isFinite(load1) ? load1.toFixed(2) : '?'}`,
  };
}

/** The 1-minute load average from /proc/loadavg; NaN when it cannot be read. */
export async function readLoad1(): Promise<number> {
  const text = await readFile('/proc/loadavg', 'utf8').catch(() => '');
  const v = Number(text.split(' ')[0]);
  return text === '' || !Number.isFinite(v) ? Number.NaN : v;
}

/** The gate refused the run: the load stayed high and --ignore-load was not given. */
export class LoadTooHighError extends Error {
  override readonly name = 'LoadTooHighError';
}

/** How the wait runs; the defaults read /proc and sleep for real. */
export interface LoadWait {
  readonly maxWaitMin: number;
  readonly ignoreLoad: boolean;
  readonly log: (line: string) => void;
  readonly readLoad?: () => Promise<number>;
  readonly pause?: (ms: number) => Promise<unknown>;
  readonly now?: () => number;
}

/**
 * Says the load at the start, waits while it is too high (up to `maxWaitMin`), and resolves with
 * the gate's record once the run may go on; throws an Error that says why and what to do when it
 * may not (see the module comment).
 */
export async function awaitQuietMachine(w: LoadWait): Promise<LoadGateRecord> {
  const readLoad = w.readLoad ?? readLoad1;
  const pause = w.pause ?? ((ms: number) => sleep(ms));
  const now = w.now ?? Date.now;
  const started = now();
  const maxWaitMs = w.maxWaitMin * 60_000;
  const limits = `at most ${MAX_LOAD_1MIN} (under ${WANTED_LOAD_1MIN} wanted)`;
  let said = false;
  for (;;) {
    const load1 = await readLoad();
    const waitedMs = now() - started;
    const shown = Number.isFinite(load1) ? load1.toFixed(2) : 'unknown';
    const decision = loadGateDecision({ load1, waitedMs, maxWaitMs, ignoreLoad: w.ignoreLoad });
    const record = { load1, limit: MAX_LOAD_1MIN, waitedSec: waitedMs / 1000 };
    if (decision === 'run') {
      w.log(`load average (1 min) ${shown}: the bench wants ${limits}; ratios will be reported`);
      return record;
    }
    if (decision === 'run-unusable') {
      w.log(
        `load average (1 min) ${shown} is over ${MAX_LOAD_1MIN}: running anyway (--ignore-load); the report will say "not usable: load ${shown}" in place of ratios`,
      );
      return record;
    }
    if (decision === 'refuse')
      throw new LoadTooHighError(
        `the 1-minute load average is ${shown}, over the ${MAX_LOAD_1MIN} a usable run needs, after waiting ${(waitedMs / 60_000).toFixed(1)} min: other work is using the CPU, so the ratios would mean nothing. Run the bench when the machine is quiet (--load-wait MIN waits longer), or pass --ignore-load to run anyway with a report marked not usable`,
      );
    if (!said) {
      w.log(
        `load average (1 min) ${shown}: the bench wants ${limits}; waiting up to ${w.maxWaitMin} min for it to settle`,
      );
      said = true;
    }
    await pause(Math.min(LOAD_POLL_MS, Math.max(0, maxWaitMs - waitedMs)));
  }
}
