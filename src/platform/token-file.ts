/**
 * The API token file: made by the agent at its first start (32 random bytes, base64url), kept
 * 0600 in a 0700 directory (platform/private-files.ts), read again at every start and by the CLI
 * of the same user, so that a token protects the API without anyone having to configure one.
 *
 * Creation is atomic: the token is written to a private temporary file that is then hard-linked
 * to its name, which fails when the name exists; so of two agents starting at once, both end up
 * with the one token that won, and nobody ever reads a half-written file.
 *
 * The agent refuses a token file that another user could have written or read (`strict`): not a
 * regular file (a symbolic link), not owned by the agent's user, or readable or writable by
 * others. A token planted by someone else would let them in; one others can read is no secret.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { ensurePrivateDir, writePrivateFileExclusive } from './private-files.js';

/** A token: printable ASCII without blanks (it goes into a header), at least this long. */
const MIN_TOKEN_LENGTH = 16;
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

function refuse(path: string, why: string, hint: string, cause?: unknown): AppError {
  return new AppError('ERR_CONFIG_INVALID', `the API token file ${path} ${why}`, {
    hint,
    details: { field: 'api.tokenFile', file: path },
    ...(cause === undefined ? {} : { cause }),
  });
}

const REMAKE = 'delete it: the agent makes a new token at its next start (the CLI finds it there)';

/** Checks that only this user can have written or can read `path` (the agent's check). */
function checkPrivate(path: string): void {
  const st = lstatSync(path);
  if (!st.isFile()) throw refuse(path, 'is not a regular file (a symbolic link?)', REMAKE);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw refuse(
      path,
      `belongs to another user (uid ${st.uid}, the agent runs as uid ${uid})`,
      `${REMAKE}; or set api.tokenFile to a file of the agent's own user`,
    );
  if ((st.mode & 0o077) !== 0)
    throw refuse(
      path,
      `can be read or written by other users (mode ${(st.mode & 0o777).toString(8)})`,
      `chmod 600 ${path} if nobody else could have changed it; else ${REMAKE}`,
    );
}

/**
 * The token kept in `path`, or undefined when there is no such file. `strict` (the agent) also
 * refuses a file others could have written or can read. Throws ERR_CONFIG_INVALID naming the file
 * for an unusable one (unreadable, empty, too short, with blanks inside).
 */
export function readTokenFile(path: string, strict: boolean): string | undefined {
  let text: string;
  try {
    if (strict) checkPrivate(path);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    if (err instanceof AppError) throw err;
    throw refuse(path, `cannot be read (${errno(err) ?? String(err)})`, REMAKE, err);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || !TOKEN_TEXT.test(token))
    throw refuse(
      path,
      `does not hold a usable token (at least ${MIN_TOKEN_LENGTH} printable characters, no blanks)`,
      REMAKE,
    );
  return token;
}

/** A new random token: 32 bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The token of `path`, made (and the file and its directory created, privately) when there is
 * none yet. Returns whether this call made it. Throws ERR_CONFIG_INVALID as {@link readTokenFile}
 * (strict), or when the file cannot be created.
 */
export function readOrCreateTokenFile(path: string): { token: string; created: boolean } {
  const existing = readTokenFile(path, true);
  if (existing !== undefined) return { token: existing, created: false };
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let created = false;
  try {
    ensurePrivateDir(dirname(path));
    writePrivateFileExclusive(temporary, `${newToken()}\n`);
    linkSync(temporary, path);
    created = true;
  } catch (err) {
    if (errno(err) !== 'EEXIST')
      throw refuse(
        path,
        `cannot be created (${errno(err) ?? String(err)})`,
        'check that its directory can be written, or set api.tokenFile elsewhere',
        err,
      );
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // never made, or already gone
    }
  }
  const token = readTokenFile(path, true);
  if (token === undefined)
    throw refuse(path, 'vanished while it was made', 'start the agent again');
  return { token, created };
}
