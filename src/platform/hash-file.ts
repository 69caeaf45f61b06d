/** Streaming content hashes of a file (for templates, if-changed and dedupe). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileError } from './node-file-system.js';

/** Hex digests of the whole file, read once; `algorithms` may be sha256 and/or md5. */
export async function hashFile(
  path: string,
  algorithms: readonly ('sha256' | 'md5')[],
  signal?: AbortSignal,
): Promise<{ sha256?: string; md5?: string }> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  try {
    for await (const chunk of createReadStream(path, {
      highWaterMark: 1024 * 1024,
      ...(signal === undefined ? {} : { signal }),
    })) {
      for (const [, h] of hashes) h.update(chunk as Buffer);
    }
  } catch (err) {
    throw fileError(err, path);
  }
  return Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')]));
}
