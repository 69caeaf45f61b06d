/**
 * The Logger port and its pino implementation: JSON lines, or for a person at a terminal one
 * readable line per record (pino-pretty). Secrets are redacted by path before either is written.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** `log.format`: pretty (one readable line each), json (one JSON object per line), or auto. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** What s3ferry logs through. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Field paths that may hold secrets: never written, whatever a caller passes. */
export const REDACTED_PATHS = [
  'secretAccessKey',
  'sessionToken',
  'token',
  'authorization',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.token',
  '*.authorization',
  'headers.*',
  '*.headers.*',
];

/** Whether a stream is a terminal (process.stdout under a tty is a tty.WriteStream). */
function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** The format `auto` stands for on `destination`: pretty on a terminal, JSON otherwise. */
export function resolveLogFormat(
  format: LogFormat,
  destination: NodeJS.WritableStream,
): 'pretty' | 'json' {
  if (format !== 'auto') return format;
  return isTerminal(destination) ? 'pretty' : 'json';
}

/**
 * The pretty stream: time, level, the event name and message, then the record's other fields on
 * the same line as JSON. Synchronous, like the JSON destination, so that nothing logged before an
 * exit is lost. Colours only on a terminal.
 */
function prettyStream(destination: NodeJS.WritableStream): DestinationStream {
  return pinoPretty({
    destination,
    sync: true,
    colorize: isTerminal(destination),
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,name,event',
    messageFormat: '{if event}{event}: {end}{msg}',
    singleLine: true,
  });
}

/**
 * A pino logger writing to `destination` (stdout by default) in `format` (JSON lines by default;
 * `auto`: pretty when `destination` is a terminal).
 */
export function createLogger(
  level: LogLevel,
  destination: NodeJS.WritableStream = process.stdout,
  format: LogFormat = 'json',
): Logger {
  const logger: PinoLogger = pino(
    {
      level,
      base: { name: 's3ferry' },
      redact: { paths: REDACTED_PATHS, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    resolveLogFormat(format, destination) === 'pretty' ? prettyStream(destination) : destination,
  );
  return logger;
}

/** A logger that drops everything (tests, one-shot commands). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
