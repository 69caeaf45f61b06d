/**
 * The one table from error code to kind, CLI exit code and HTTP status. The API and the CLI only
 * translate through it; every code is documented in docs/errors.md (a test checks this).
 */

/** How the caller should react to an error. */
export const ERROR_KINDS = {
  /** Try again later: network trouble, throttling, a server hiccup. */
  transient: 'transient',
  /** This file cannot go as it is (unreadable, too large, invalid key): park it, go on with others. */
  permanent: 'permanent',
  /** The destination or configuration is wrong (keys, bucket, region, endpoint): hold everything. */
  fatal: 'fatal',
  /** Someone asked us to stop. Never retried. */
  cancelled: 'cancelled',
} as const;
export type ErrorKind = (typeof ERROR_KINDS)[keyof typeof ERROR_KINDS];

/** CLI exit codes (docs/errors.md). */
export const EXIT = {
  ok: 0,
  /** Some files could not be uploaded (per-file errors). */
  fileFailed: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** The destination refused us or cannot be reached: credentials, bucket, region, endpoint. */
  destination: 3,
  /** Transient errors did not clear within the retry budget. */
  retriesExhausted: 4,
  /** The journal cannot be opened or written. */
  journal: 5,
  /** Something we did not expect: a bug. */
  internal: 70,
  /** Interrupted (SIGINT/SIGTERM); a rerun resumes. */
  interrupted: 130,
} as const;

interface CodeInfo {
  readonly kind: ErrorKind;
  readonly exitCode: number;
  readonly httpStatus: number;
}

const t = (exitCode: number, httpStatus = 503): CodeInfo => ({
  kind: 'transient',
  exitCode,
  httpStatus,
});
const p = (httpStatus = 422): CodeInfo => ({
  kind: 'permanent',
  exitCode: EXIT.fileFailed,
  httpStatus,
});
const f = (exitCode: number = EXIT.destination, httpStatus = 502): CodeInfo => ({
  kind: 'fatal',
  exitCode,
  httpStatus,
});

/** Every error code s3ferry raises. */
export const ERROR_CODES = {
  // destination-level (fatal)
  ERR_S3_UNKNOWN_ACCESS_KEY: f(),
  ERR_S3_SIGNATURE_MISMATCH: f(),
  ERR_S3_ACCESS_DENIED: f(),
  ERR_S3_NO_SUCH_BUCKET: f(),
  ERR_S3_WRONG_REGION: f(),
  ERR_S3_ENDPOINT_UNREACHABLE: f(),
  ERR_S3_CLOCK_SKEW: f(),
  ERR_S3_NO_CREDENTIALS: f(),
  ERR_S3_TLS_UNTRUSTED: f(),
  // retention or a legal hold is configured and the bucket has no Object Lock
  ERR_S3_NO_OBJECT_LOCK: f(),
  // transient
  ERR_S3_THROTTLED: t(EXIT.retriesExhausted),
  ERR_S3_SERVER: t(EXIT.retriesExhausted),
  ERR_S3_TIMEOUT: t(EXIT.retriesExhausted),
  ERR_NETWORK: t(EXIT.retriesExhausted),
  ERR_S3_BAD_DIGEST: t(EXIT.retriesExhausted),
  // per file (permanent)
  ERR_FILE_UNREADABLE: p(),
  ERR_FILE_NOT_FOUND: p(404),
  ERR_FILE_CHANGED: p(409),
  ERR_FILE_TOO_LARGE: p(),
  ERR_KEY_INVALID: p(),
  // The file's job is no longer configured: the file is cancelled (nothing to do any more).
  ERR_JOB_REMOVED: p(404),
  ERR_VERIFY_FAILED: p(),
  ERR_S3_NOT_FOUND: p(404),
  ERR_S3_UPLOAD_GONE: p(404),
  ERR_S3_PRECONDITION_FAILED: p(412),
  ERR_S3_ENTITY_TOO_LARGE: p(),
  ERR_S3_INVALID_PART: p(),
  ERR_S3_BAD_REQUEST: p(400),
  // local configuration and state
  ERR_USAGE: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 400 },
  // retry ID: no file with that id in the journal (a wrong id), or one that is not parked or waiting
  ERR_FILE_UNKNOWN: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 404 },
  ERR_FILE_NOT_RETRYABLE: { kind: 'permanent', exitCode: EXIT.fileFailed, httpStatus: 409 },
  ERR_CONFIG_INVALID: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 400 },
  ERR_JOURNAL: { kind: 'fatal', exitCode: EXIT.journal, httpStatus: 500 },
  ERR_JOURNAL_LOCKED: { kind: 'fatal', exitCode: EXIT.journal, httpStatus: 503 },
  ERR_JOURNAL_CORRUPT: { kind: 'fatal', exitCode: EXIT.journal, httpStatus: 500 },
  ERR_JOURNAL_UNAVAILABLE: { kind: 'fatal', exitCode: EXIT.journal, httpStatus: 503 },
  ERR_CANCELLED: { kind: 'cancelled', exitCode: EXIT.interrupted, httpStatus: 499 },
  // The agent's hold on a file lapsed and another agent took the file over: stop, never retry.
  ERR_LEASE_LOST: { kind: 'cancelled', exitCode: EXIT.interrupted, httpStatus: 409 },
  // A file transition its state does not allow (domain/file-state.ts): a bug.
  ERR_ILLEGAL_TRANSITION: { kind: 'fatal', exitCode: EXIT.internal, httpStatus: 500 },
  // the API's refusals (in the CLI: a usage problem, exit 2)
  ERR_UNAUTHORIZED: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 401 },
  ERR_HOST_NOT_ALLOWED: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 421 },
  ERR_ORIGIN_NOT_ALLOWED: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 403 },
  ERR_UNSUPPORTED_MEDIA_TYPE: { kind: 'fatal', exitCode: EXIT.usage, httpStatus: 415 },
  ERR_INTERNAL: { kind: 'fatal', exitCode: EXIT.internal, httpStatus: 500 },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Looks a code up in the table. */
export function codeInfo(code: ErrorCode): CodeInfo {
  return ERROR_CODES[code];
}
