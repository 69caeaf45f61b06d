/**
 * The frame of every CLI command over the control service: open the service (the running agent's,
 * else the journal's: agent-client.ts), make the one call, print, close, and turn an error into
 * its message, fix and exit code. Also the parsing shared by the commands' filters.
 */
import { parseDuration } from '../domain/duration.js';
import { AppError } from '../errors/app-error.js';
import type { ControlService } from '../control/control-service.js';
import { openControl, type ClientOptions } from './agent-client.js';
import { reportError } from './output.js';

/**
 * Runs `fn` on the command's control service and resolves the exit code: `fn`'s (0 when it
 * returns nothing), or the error's. `needsAgent` refuses the journal (backfill, reload, transfers).
 */
export async function withControl(
  opts: ClientOptions,
  fn: (control: ControlService) => Promise<number | undefined>,
  needsAgent = false,
): Promise<number> {
  let control: ControlService | undefined;
  try {
    control = await openControl(opts, needsAgent);
    return (await fn(control)) ?? 0;
  } catch (err) {
    return reportError(err, opts.json === true);
  } finally {
    await control?.close().catch(() => undefined);
  }
}

/** Prints `value` as one JSON line, or the human text. */
export function print(value: unknown, json: boolean | undefined, human: () => string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

/**
 * `--since`: a duration back from now (30m, 2h, 7d) or a time (2024-05-01, 2024-05-01T10:00:00Z;
 * a date alone is midnight UTC), as ms since the epoch. ERR_USAGE otherwise.
 */
export function sinceOption(text: string, now: number): number {
  return timeOption('since', text, now);
}

/** A time option `--NAME` as {@link sinceOption} reads it (`--since`, `--until`). */
export function timeOption(name: string, text: string, now: number): number {
  const back = parseDuration(text);
  if (back !== undefined && /[a-z]$/i.test(text.trim())) return now - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isFinite(at)) return at;
  throw new AppError('ERR_USAGE', `--${name} "${text}" is neither a duration nor a time`, {
    hint: 'write a duration back from now (30m, 2h, 7d) or a time (2024-05-01 or 2024-05-01T10:00:00Z)',
    details: { field: name },
  });
}

/** A whole number option of at least `min`; ERR_USAGE otherwise. */
export function countOption(name: string, text: string, min = 0): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new AppError('ERR_USAGE', `${name} "${text}" must be a whole number of at least ${min}`);
  return n;
}
