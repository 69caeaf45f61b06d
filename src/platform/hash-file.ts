/** Streaming content hashes of a file (for templates, if-changed and dedupe). */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { isAppError } from '../errors/app-error.js';
import { fileError, notRegularFile, SOURCE_OPEN_FLAGS } from './node-file-system.js';

/**
 * Hex digests of the whole file, read once; `algorithms` may be sha256 and/or md5. The file is
 * opened without blocking and must be a regular file (see node-file-system.ts: a FIFO swapped in
 * would otherwise hold a libuv thread for good). Rejects with ERR_FILE_NOT_FOUND or
 * ERR_FILE_UNREADABLE (not a regular file, permissions, I/O), and with the signal's reason.
 */
export async function hashFile(
  path: string,
  algorithms: readonly ('sha256' | 'md5')[],
  signal?: AbortSignal,
): Promise<{ sha256?: string; md5?: string }> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  const file = await open(path, SOURCE_OPEN_FLAGS).catch((err: unknown) => {
    throw fileError(err, path);
  });
  try {
    const st = await file.stat();
    if (!st.isFile()) throw notRegularFile(path, st);
    for await (const chunk of file.createReadStream({
      highWaterMark: 1024 * 1024,
      autoClose: false,
      ...(signal === undefined ? {} : { signal }),
    })) {
      for (const [, h] of hashes) h.update(chunk as Buffer);
    }
  } catch (err) {
    // an abort is the caller's (cancelled, not the file's fault)
    if (isAppError(err) || (err instanceof Error && err.name === 'AbortError')) throw err;
    throw fileError(err, path);
  } finally {
    await file.close();
  }
  return Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')]));
}
