/** The Logger port and its pino implementation (JSON lines). Secrets are redacted by path. */
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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

/** A pino logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(
  level: LogLevel,
  destination: NodeJS.WritableStream = process.stdout,
): Logger {
  const logger: PinoLogger = pino(
    {
      level,
      base: { name: 's3ferry' },
      redact: { paths: REDACTED_PATHS, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  return logger;
}

/** A logger that drops everything (tests, one-shot commands). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
