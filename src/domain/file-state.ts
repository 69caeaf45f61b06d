/**
 * The life of a file as an explicit state machine (DESIGN.md, "File states"). The states, the
 * states in which an agent holds a file, the one "pending" set, and every legal move are data
 * here, so a reader finds them in one place; the journal offers each move as a named operation
 * (journal/file-queue.ts) whose SQL guard is built from this table, and the conformance suite is
 * driven by it.
 *
 *   settling -> queued -> uploading -> verifying -> done
 *   uploading -> done (no after-action with an outside effect: `after: keep`)
 *   uploading | verifying -> skipped | parked | waiting | cancelled | settling
 *   parked | waiting -> queued (retry);  waiting -> uploading (claim, once due)
 */

/** Every state a file can be in. */
export const FILE_STATES = {
  /** Seen changing: the source hands it over again once it stays unchanged. */
  settling: 'settling',
  /** Finished and waiting for a worker. */
  queued: 'queued',
  /** Held by an agent, which sends it. */
  uploading: 'uploading',
  /**
   * Held by an agent: the object is uploaded and verified, the after-action (delete or move of the
   * source) is left. A file whose job keeps its source goes from 'uploading' to 'done' at once.
   */
  verifying: 'verifying',
  done: 'done',
  /** Not sent: its key holds another object, or its content is already in the store. */
  skipped: 'skipped',
  /** Retried later: backoff, or its destination is unhealthy. */
  waiting: 'waiting',
  /** A problem of this file that needs a person (`s3ferry retry` releases it). */
  parked: 'parked',
  /** Nothing to do any more: the file vanished, or its job is gone. */
  cancelled: 'cancelled',
} as const;
export type FileState = (typeof FILE_STATES)[keyof typeof FILE_STATES];

/** Every state, in the order of {@link FILE_STATES}. */
export const ALL_FILE_STATES: readonly FileState[] = Object.values(FILE_STATES);

/** States in which an agent holds the file under a lease (its owner and lease are set). */
export const HELD_STATES: readonly FileState[] = ['uploading', 'verifying'];

/**
 * The one "pending" set: files on their way that need nobody (CLI, API and dashboard all count
 * these). 'parked' needs a person and is shown apart.
 */
export const PENDING_STATES: readonly FileState[] = [
  'settling',
  'queued',
  'waiting',
  'uploading',
  'verifying',
];

/** True while an agent holds a file in this state. */
export function isHeld(state: FileState): boolean {
  return HELD_STATES.includes(state);
}

/**
 * Why a file is where it is: a failure's error code (`ERR_…`, docs/errors.md) with its message and
 * fix, or one of {@link REASON_CODES} for a move that is no failure.
 */
export interface FileReason {
  readonly code: string;
  /** Plain language: the cause. */
  readonly message: string;
  /** What to do about it, or null when nothing is to be done. */
  readonly hint: string | null;
}

/** Codes of the reasons that are not errors (errors use their `ERR_…` code). */
export const REASON_CODES = {
  /** Changed since it was queued: it settles again. */
  changed: 'changed',
  /** Given back by its agent without an outcome (stopping, orphaned, after a journal failure). */
  released: 'released',
  /** Its holder stopped; any agent takes it up again. */
  holdExpired: 'hold-expired',
  /** The key holds an object the overwrite policy keeps. */
  exists: 'exists',
  /** Its content is already in the store. */
  duplicate: 'duplicate',
  /** Deleted or moved before its upload. */
  vanished: 'vanished',
  /** Its job is no longer configured. */
  jobRemoved: 'job-removed',
  /** A reason of an older journal that named no code. */
  note: 'note',
} as const;

/** The hold on a file: which agent (owner) works on which file. */
export interface Hold {
  readonly fileId: number;
  readonly owner: string;
}

/**
 * The plan of one version of a file, decided once and kept in the journal, so that retries,
 * restarts and takeovers send it to the same key the same way (DESIGN.md item 4).
 */
export interface FilePlan {
  readonly key: string;
  readonly mode: 'single' | 'multipart';
  /** Bytes per part (the whole size for a single upload). */
  readonly partSize: number;
  /** Content checksum when known at planning time ('sha256:…', 'md5:…'), else null. */
  readonly checksum: string | null;
  /** ms since the epoch. */
  readonly decidedAt: number;
}

/** One legal move: the states it leaves, the state it enters, and whether it needs the hold. */
export interface FileTransition {
  readonly from: readonly FileState[];
  readonly to: FileState;
  /** True: applies only while the caller's {@link Hold} is valid (owner holds the file). */
  readonly held: boolean;
  /** States among `from` that stay as they are (the move changes who holds them, not where). */
  readonly keeps?: readonly FileState[];
  /** The move counts an attempt. */
  readonly countsAttempt?: boolean;
}

const HELD = HELD_STATES;

/**
 * Every legal move of a file. The journal's operations are named after these entries.
 * - enqueue: a source reports a finished file. A new file, a settling one, or one whose identity
 *   (size, mtime, inode) changed in any state but held enters 'queued'; a parked file whose ctime
 *   changed too (its mode or owner was fixed). Same identity: no change. A held file is left to
 *   its holder, which notices the change itself.
 * - claim: takes the hold of a queued file, a waiting one that is due, or a held one whose lease
 *   expired; a 'verifying' file stays 'verifying' (only its after-action was left).
 * - release: the holder gives the file back without an outcome: 'uploading' -> 'queued',
 *   'verifying' stays 'verifying', claimable at once.
 * - resettle: the file changed since it was queued (or after its upload, before its
 *   after-action): it settles again. From 'verifying' too, since the after-action checks the
 *   source again and must not delete or move a changed file.
 * - complete: from 'verifying' once the after-action is done; from 'uploading' at once when there
 *   is no after-action with an outside effect (`after: keep`): one journal write less per file.
 *   'verifying' stays for delete and move, so that whoever takes the file over knows the object
 *   was verified before the source went.
 * - releaseForRetry: `s3ferry retry`; never touches a held file.
 */
export const FILE_TRANSITIONS = {
  enqueue: {
    from: ['settling', 'queued', 'done', 'skipped', 'waiting', 'parked', 'cancelled'],
    to: 'queued',
    held: false,
  },
  claim: {
    from: ['queued', 'waiting', ...HELD],
    to: 'uploading',
    held: false,
    keeps: ['verifying'],
  },
  markVerifying: { from: ['uploading'], to: 'verifying', held: true },
  complete: { from: HELD, to: 'done', held: true },
  skip: { from: HELD, to: 'skipped', held: true },
  park: { from: HELD, to: 'parked', held: true, countsAttempt: true },
  defer: { from: HELD, to: 'waiting', held: true, countsAttempt: true },
  release: { from: HELD, to: 'queued', held: true, keeps: ['verifying'] },
  resettle: { from: HELD, to: 'settling', held: true },
  cancel: { from: HELD, to: 'cancelled', held: true },
  releaseForRetry: { from: ['parked', 'waiting'], to: 'queued', held: false },
} as const satisfies Record<string, FileTransition>;

/** The name of a legal move. */
export type TransitionName = keyof typeof FILE_TRANSITIONS;

/** The moves that need the hold. */
export type HeldTransitionName = {
  [K in TransitionName]: (typeof FILE_TRANSITIONS)[K]['held'] extends true ? K : never;
}[TransitionName];

/** Every move that needs the hold, in table order. */
export const HELD_TRANSITIONS: readonly HeldTransitionName[] = (
  Object.keys(FILE_TRANSITIONS) as TransitionName[]
).filter((n): n is HeldTransitionName => FILE_TRANSITIONS[n].held);

/** The table entry of a move, typed as the general shape. */
export function transition(name: TransitionName): FileTransition {
  return FILE_TRANSITIONS[name];
}

/** True when `name` may leave `from`. */
export function canTransition(name: TransitionName, from: FileState): boolean {
  return transition(name).from.includes(from);
}

/** The state a file in `from` enters by `name` (undefined when the move is illegal there). */
export function targetState(name: TransitionName, from: FileState): FileState | undefined {
  const t = transition(name);
  if (!t.from.includes(from)) return undefined;
  return t.keeps?.includes(from) === true ? from : t.to;
}
