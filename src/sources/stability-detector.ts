/**
 * The settle decision, as a pure data structure: no I/O, no timers, the time is an argument.
 *
 * A file is a candidate from the moment it is observed until it settles, vanishes or is
 * forgotten. It settles when the same stamp (size, mtime, inode) has been observed for at least
 * `settleMs` (the window restarts whenever a different stamp is observed) and, if `minAgeMs` is
 * set, its mtime is at least that old. `due()` hands settled files out once and drops them, so the
 * detector only ever holds files that are not finished yet.
 *
 * The detector only knows what it was told: the caller re-stats a due file before taking it (and
 * observes it again if it changed), which is what makes "unchanged for the whole window" true even
 * when no event arrived during the window (scan-only mode, missed events).
 *
 * Candidates are ordered in a min-heap by the time they become ready; a restarted window leaves a
 * stale heap node behind that is skipped when it surfaces, and the heap is rebuilt whenever stale
 * nodes outnumber live ones, so memory stays proportional to the number of candidates.
 */
import { sameStamp, toStamp, type FileStamp } from './file-stamp.js';

/** Options of a {@link StabilityDetector}. */
export interface StabilityOptions {
  /** How long a stamp must stay unchanged, ms (>= 0). */
  readonly settleMs: number;
  /** Optional: a file's mtime must be at least this old, ms. */
  readonly minAgeMs?: number | undefined;
}

/** A file handed out by {@link StabilityDetector.due}. */
export interface SettledFile {
  readonly path: string;
  /** The stamp that stayed unchanged. */
  readonly stat: FileStamp;
}

interface Candidate {
  readonly stamp: FileStamp;
  /** When it becomes due, ms: settle window end (and minimum age) from the first observation. */
  readonly readyAt: number;
  /** Matches the heap node that is current for this path. */
  readonly gen: number;
}

interface HeapNode {
  readonly readyAt: number;
  readonly path: string;
  readonly gen: number;
}

/** Tracks files that are not finished yet and says when each one is. */
export class StabilityDetector {
  private readonly settleMs: number;
  private readonly minAgeMs: number | undefined;
  private readonly candidates = new Map<string, Candidate>();
  private heap: HeapNode[] = [];
  private gen = 0;

  /** @throws RangeError when settleMs or minAgeMs is negative or not finite. */
  constructor(options: StabilityOptions) {
    if (!Number.isFinite(options.settleMs) || options.settleMs < 0) {
      throw new RangeError(`settleMs must be a finite number >= 0, got ${options.settleMs}`);
    }
    const minAge = options.minAgeMs;
    if (minAge !== undefined && (!Number.isFinite(minAge) || minAge < 0)) {
      throw new RangeError(`minAgeMs must be a finite number >= 0, got ${minAge}`);
    }
    this.settleMs = options.settleMs;
    this.minAgeMs = minAge;
  }

  /** Number of files being tracked (not settled yet), for memory accounting and backpressure. */
  get size(): number {
    return this.candidates.size;
  }

  /** True when `path` is being tracked. */
  has(path: string): boolean {
    return this.candidates.has(path);
  }

  /**
   * Records what a stat of `path` returned at `now` (ms). `undefined` means the file is gone (or
   * is not a regular file): it is forgotten. The same stamp as before keeps the running window; a
   * new path or a different stamp starts a new one at `now`.
   */
  observe(path: string, stat: FileStamp | undefined, now: number): void {
    if (stat === undefined) {
      this.forget(path);
      return;
    }
    const current = this.candidates.get(path);
    if (current !== undefined && sameStamp(current.stamp, stat)) return;
    const stamp = toStamp(stat);
    const readyAt = this.readyAt(stamp, now);
    this.gen += 1;
    this.candidates.set(path, { stamp, readyAt, gen: this.gen });
    this.push({ readyAt, path, gen: this.gen });
    if (current !== undefined) this.compactIfSparse(); // a restarted window left a stale node
  }

  /** Stops tracking `path` (deleted, taken by other means). No-op when it is not tracked. */
  forget(path: string): void {
    if (this.candidates.delete(path)) this.compactIfSparse();
  }

  /**
   * Files that have settled by `now` (ms), earliest first; they are no longer tracked afterwards.
   * Returns an empty array when none has.
   */
  due(now: number): SettledFile[] {
    const out: SettledFile[] = [];
    for (;;) {
      const top = this.peekLive();
      if (top === undefined || top.readyAt > now) break;
      this.pop();
      const candidate = this.candidates.get(top.path);
      if (candidate === undefined) continue;
      this.candidates.delete(top.path);
      out.push({ path: top.path, stat: candidate.stamp });
    }
    this.compactIfSparse();
    return out;
  }

  /** When the earliest tracked file becomes due (ms), or undefined when nothing is tracked. */
  nextCheckAt(): number | undefined {
    return this.peekLive()?.readyAt;
  }

  private readyAt(stamp: FileStamp, now: number): number {
    const settled = now + this.settleMs;
    if (this.minAgeMs === undefined) return settled;
    return Math.max(settled, stamp.mtimeMs + this.minAgeMs);
  }

  /** The heap's top after dropping stale nodes (restarted windows, forgotten paths). */
  private peekLive(): HeapNode | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      if (this.candidates.get(top.path)?.gen === top.gen) return top;
      this.pop();
    }
  }

  private compactIfSparse(): void {
    if (this.heap.length <= 64 || this.heap.length <= 2 * this.candidates.size) return;
    this.heap = [];
    for (const [path, c] of this.candidates) this.push({ readyAt: c.readyAt, path, gen: c.gen });
  }

  private push(node: HeapNode): void {
    const heap = this.heap;
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || p.readyAt <= node.readyAt) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = node;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      const left = heap[l];
      const right = heap[r];
      let smallest = last;
      let at = -1;
      if (left !== undefined && left.readyAt < smallest.readyAt) {
        smallest = left;
        at = l;
      }
      if (right !== undefined && right.readyAt < smallest.readyAt) {
        smallest = right;
        at = r;
      }
      if (at < 0) break;
      heap[i] = smallest;
      i = at;
    }
    heap[i] = last;
  }
}
