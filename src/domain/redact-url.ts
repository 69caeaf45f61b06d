/**
 * URLs as they may be shown: endpoints, proxies, webhooks and PostgreSQL journals can carry a
 * password (`http://user:PASSWORD@host`, `postgres://u:PASSWORD@db/x`, `?password=`). Every place
 * that prints, logs, journals or answers such a URL passes it through {@link redactUrl} first.
 *
 * The redaction works on the text, not on a URL parser: a password holding `#`, `/` or `?` makes
 * the URL unparseable (or parse as another URL whose password is empty), and it must be hidden
 * all the same. So everything between `://` and the LAST `@` is the user information: a user name
 * before a `:` stays visible, the rest is replaced. An `@` further on in a path or query can only
 * make more of the URL hidden, never less. Nothing else of the text changes (no normalisation: a
 * redacted endpoint stays a stable identity in the journal).
 */

/** What replaces a secret. */
export const REDACTED = '***';

/** scheme://, then the user information up to the last '@' (greedy). */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^]*)@/;
/** A password given as a URL parameter (password=, sslpassword=), up to the next parameter. */
const PASSWORD_PARAM = /([?&](?:ssl)?password=)[^&]*/gi;

/**
 * `url` with the user information's password (or all of it when it is one bare word, which may
 * be a token) and any `password=` parameter replaced by {@link REDACTED}. Text that is not a URL
 * (a journal file path) passes unchanged.
 */
export function redactUrl(url: string): string {
  let out = url;
  const m = USERINFO.exec(out);
  if (m !== null) {
    const [whole, scheme = '', userinfo = ''] = m;
    const colon = userinfo.indexOf(':');
    const shown = colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`;
    out = `${scheme}${shown}@${out.slice(whole.length)}`;
  }
  return out.replace(PASSWORD_PARAM, `$1${REDACTED}`);
}

/**
 * True when the user information of `url` holds a character that ends it early in a URL parser
 * (`#`, `/`, `?`, or a second `@`): the URL then names another host or no password at all, and
 * such characters must be percent-encoded (%23, %2F, %3F, %40).
 */
export function hasUnencodedUserinfo(url: string): boolean {
  const m = USERINFO.exec(url);
  return m !== null && /[#/?@]/.test(m[2] ?? '');
}
