/**
 * Names that are not valid UTF-8. Node lists them with U+FFFD in place of the bad bytes, and a
 * path with U+FFFD names another file (or none): such a file cannot be opened through a
 * JavaScript string, so it can never be uploaded. It is reported, never skipped without a word:
 * by the rescan that lists it, and as soon as an event names it (issue 15, item 12).
 */
import { isUtf8 } from 'node:buffer';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Why an entry whose name is not valid UTF-8 is not taken. */
export const NOT_UTF8 =
  'its name is not valid UTF-8 (the invalid bytes show as \uFFFD here), so it cannot be opened ' +
  'by that name and is not uploaded: rename it with valid UTF-8';

/**
 * True when the last name of `abs` holds U+FFFD: a name with bytes that are not UTF-8 comes out
 * of a listing (or an event) with U+FFFD in their place. Ask only once the path proved
 * unopenable: a valid name may hold U+FFFD itself.
 */
export function hasUndecodableName(abs: string): boolean {
  return path.basename(abs).includes('\uFFFD');
}

/**
 * True when `abs` (as an event names it) stands for an entry of its directory whose name is not
 * valid UTF-8: the directory is listed as bytes and one name decodes to this one. False when
 * there is none (the file is gone) or the directory cannot be read.
 */
export async function isUndecodableEntry(abs: string): Promise<boolean> {
  if (!hasUndecodableName(abs)) return false;
  const wanted = path.basename(abs);
  let names: Buffer[];
  try {
    names = await readdir(path.dirname(abs), { encoding: 'buffer' });
  } catch {
    return false;
  }
  return names.some((raw) => raw.toString('utf8') === wanted && !isUtf8(raw));
}
