/** Printing errors and results the same way in every command. */
import { AppError, toAppError } from '../errors/app-error.js';

/** Prints an error with its fix (human) or as a JSON line, and returns its exit code. */
export function reportError(
  raw: unknown,
  json: boolean,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): number {
  const e = toAppError(raw);
  if (json) out.write(`${JSON.stringify({ type: 'error', ...e.toJSON() })}\n`);
  else
    err.write(`s3ferry: error: ${e.message}\n${e.hint === undefined ? '' : `  fix: ${e.hint}\n`}`);
  return e.exitCode;
}

/** The exit code for a set of per-file failures: destination > retries > cancelled > per-file. */
export function exitCodeFor(errors: readonly AppError[]): number {
  if (errors.length === 0) return 0;
  const order = ['fatal', 'transient', 'cancelled', 'permanent'] as const;
  for (const kind of order) {
    const e = errors.find((x) => x.kind === kind);
    if (e !== undefined) return e.exitCode;
  }
  return errors[0]?.exitCode ?? 1;
}
