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

/**
 * Lets a closed standard output or error end the output quietly instead of the process:
 * `s3ferry upload --json | head -1`. Node reports a write to a pipe whose reader has gone as an
 * 'error' event (EPIPE) which, unhandled, killed the process with a stack trace in the middle of
 * its work. The work goes on to its end and its exit code (an upload stores every file; `doctor`
 * removes its probe object): only its words are lost. Another write error (a full disk under
 * `> file`) is said once on the other stream.
 */
export function endOutputQuietly(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): void {
  for (const [stream, other, name] of [
    [out, err, 'standard output'],
    [err, out, 'standard error'],
  ] as const) {
    let told = false;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (told || e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      told = true;
      if (!other.destroyed)
        other.write(`s3ferry: ${name} failed (${e.code ?? e.message}): its output stops\n`);
    });
  }
}
