/**
 * PostgreSQL journal URLs: telling one from a file path, showing one without its password, and
 * checking one. Kept apart from the `pg` driver so that a SQLite journal never loads it.
 */
import { AppError } from '../../errors/app-error.js';

/**
 * The journal URL as it may be shown: scheme, user, host, port and database; never the password
 * nor the query string (which may carry one).
 */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username === '' ? '' : `${u.username}@`;
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/** True for a journal spec that names a PostgreSQL database rather than a file. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * Checks that `url` is a PostgreSQL URL `pg` can use. Throws ERR_CONFIG_INVALID naming only the
 * redacted URL (the parser's own error may quote the whole URL, password included).
 */
export function assertPostgresUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !isPostgresUrl(url) || parsed.hostname === '') {
    throw new AppError(
      'ERR_CONFIG_INVALID',
      `the journal URL ${describePostgresUrl(url)} is not a PostgreSQL URL`,
      { hint: 'write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE' },
    );
  }
}
