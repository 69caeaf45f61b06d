/**
 * The filesystem-event port. A watcher only says "look at this path again"; whether a file is
 * finished is decided elsewhere (stability-detector.ts) from stat results and the clock, and the
 * periodic rescan catches anything the events miss.
 */

/** Options of one watcher: one source directory. */
export interface WatcherOptions {
  /** Absolute path of the source directory. Event paths are reported under this exact prefix. */
  readonly root: string;
  /** Watch subdirectories too; when false only files directly in `root` are reported. */
  readonly recursive: boolean;
  /**
   * Called with the absolute path of a file that was added, written, renamed into place or
   * removed. It may be called many times for one write, for paths that are no longer there, and
   * for non-regular files: the caller stats the path and decides. Must not throw.
   */
  readonly onChange: (absPath: string) => void;
  /**
   * Called for a watcher failure (e.g. the inotify watch limit). The watcher keeps running as well
   * as it can; events may be missed from then on, so callers rely on rescans. Must not throw.
   */
  readonly onError: (err: Error) => void;
  /**
   * Called when `root` itself was removed (even if a new directory took its name at once): the
   * watcher watches nothing from then on. The caller closes it and rescans, which watches the
   * new directory if there is one. Optional for implementations that cannot tell.
   */
  readonly onRootRemoved?: () => void;
}

/** A running filesystem watcher over one directory. */
export interface Watcher {
  /** Starts watching; resolves once the watcher is ready (events from then on are reported). */
  start(): Promise<void>;
  /** Stops watching and releases every OS watch; no callback is made after it resolves. Idempotent. */
  close(): Promise<void>;
}

/** Builds a {@link Watcher}; the agent's composition root picks the implementation. */
export type WatcherFactory = (opts: WatcherOptions) => Watcher;
