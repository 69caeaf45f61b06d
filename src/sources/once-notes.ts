/**
 * Problems said once per path, not at every rescan: a refused symbolic link, a name that is not
 * valid UTF-8. A path's note is dropped when the path is taken, and when a full scan no longer
 * meets it (so a problem that comes back is said again, and the notes never outgrow the tree).
 */
export class OnceNotes {
  /** Path -> the message said about it, and the scan that last met it. */
  readonly #notes = new Map<string, { message: string; scan: number }>();
  #scan = 0;

  /** True when `message` about `path` was not said yet (the caller says it now). */
  note(path: string, message: string): boolean {
    const known = this.#notes.get(path);
    this.#notes.set(path, { message, scan: this.#scan });
    return known?.message !== message;
  }

  /** A scan met `path` (a file it visits): its note, if any, stays. */
  touch(path: string): void {
    const known = this.#notes.get(path);
    if (known !== undefined) known.scan = this.#scan;
  }

  /** `path` is fine now (taken): a later problem with it is new. */
  clear(path: string): void {
    this.#notes.delete(path);
  }

  /** A full scan begins: the notes it (or an event meanwhile) does not meet again are dropped. */
  beginScan(): void {
    this.#scan += 1;
  }

  /** A full scan has ended (not aborted): drops what it did not meet. */
  endScan(): void {
    for (const [path, n] of this.#notes) if (n.scan < this.#scan) this.#notes.delete(path);
  }

  get size(): number {
    return this.#notes.size;
  }
}
