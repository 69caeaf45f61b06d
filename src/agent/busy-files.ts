/**
 * The files this agent's workers are processing now, by job and path. A file that changes while a
 * worker uploads it is reported again by its source (or named by a backfill); queueing it then
 * would let a second worker claim it and upload the same key beside the first. Such an offer is
 * held instead, and handed back when the worker is done, to be queued as usual: by then the
 * upload either sent the final bytes (the journal's verified upload says so, nothing is sent
 * again) or gave up on the changed file (it is uploaded afresh).
 */
import type { Candidate } from './admission.js';

export class BusyFiles {
  /** The newest offer held for each busy file (null: none yet). */
  readonly #files = new Map<string, Candidate | null>();

  /** A worker starts on this file. */
  begin(job: string, path: string): void {
    this.#files.set(slot(job, path), null);
  }

  /**
   * True when a worker is on this file: the offer is kept (replacing an older one) and must not
   * be queued now. False when the file is free to queue.
   */
  hold(job: string, f: Candidate): boolean {
    const key = slot(job, f.absPath);
    if (!this.#files.has(key)) return false;
    this.#files.set(key, f);
    return true;
  }

  /** The worker is done; returns the newest offer held meanwhile, to be queued now. */
  end(job: string, path: string): Candidate | undefined {
    const key = slot(job, path);
    const held = this.#files.get(key) ?? undefined;
    this.#files.delete(key);
    return held;
  }
}

function slot(job: string, path: string): string {
  return `${job}\u0000${path}`;
}
