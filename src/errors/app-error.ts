import { codeInfo, type ErrorCode, type ErrorKind } from './codes.js';

/** Options of an {@link AppError}. */
export interface AppErrorOptions {
  /** What to do about it, in plain words ("check the access key"). */
  readonly hint?: string;
  /** The underlying error, kept for logs. */
  readonly cause?: unknown;
  /** Overrides the table's kind where the context knows better (e.g. a probe). */
  readonly kind?: ErrorKind;
  /** Extra facts for logs and events (never secrets). */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * The only error type s3ferry throws. `message` names the cause; `hint` names the fix; `kind` says
 * whether to retry, park the file, or hold the destination.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = options.kind ?? codeInfo(code).kind;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** CLI exit code for this error. */
  get exitCode(): number {
    return codeInfo(this.code).exitCode;
  }

  /** A JSON-safe view for events, logs and API answers. */
  toJSON(): { code: ErrorCode; kind: ErrorKind; message: string; hint?: string } {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

/** True when `err` is an {@link AppError} (optionally of one of `codes`). */
export function isAppError(err: unknown, ...codes: ErrorCode[]): err is AppError {
  return err instanceof AppError && (codes.length === 0 || codes.includes(err.code));
}

/** Wraps anything thrown into an AppError; AppErrors pass through unchanged. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isAbortError(err)) {
    return new AppError('ERR_CANCELLED', 'cancelled', {
      cause: err,
      hint: 'interrupted: run the same command again to resume',
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('ERR_INTERNAL', `unexpected error: ${message}`, {
    cause: err,
    hint: 'this is a bug in s3ferry: please report it with the log',
  });
}

/** True for the errors an aborted AbortSignal produces. */
export function isAbortError(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR')
  );
}
