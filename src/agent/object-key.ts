/**
 * What a file's object is called and how its content is identified: the digests its job needs
 * (key template fields, the if-changed overwrite policy, dedupe), the checksum the history keeps,
 * and the key rendered from the job's template.
 */
import { randomUUID } from 'node:crypto';
import type { JobConfig } from '../config/agent-config.js';
import { renderKey, templateNeeds } from '../domain/key-template.js';
import { AppError } from '../errors/app-error.js';
import { hashFile } from '../platform/hash-file.js';
import type { FileStat } from '../transfer/file-system.js';
import type { JobRuntime } from './job-runtime.js';

export interface FileDigests {
  readonly digests: { sha256?: string; md5?: string };
  /** `algorithm:hex`: the dedupe digest when dedupe is on, else the sha256 when there is one. */
  readonly checksum: string | undefined;
}

/** Hashes the file once for every digest the job needs (none: no read). */
export async function fileDigests(
  path: string,
  job: Pick<JobConfig, 'key' | 'overwrite' | 'dedupe'>,
  signal: AbortSignal,
): Promise<FileDigests> {
  const needs = templateNeeds(job.key);
  const dd = job.dedupe;
  const wantSha =
    needs.sha256 || job.overwrite === 'if-changed' || (dd.enabled && dd.by === 'sha256');
  const wantMd5 = needs.md5 || (dd.enabled && dd.by === 'md5');
  const algorithms = [
    ...(wantSha ? (['sha256'] as const) : []),
    ...(wantMd5 ? (['md5'] as const) : []),
  ];
  const digests = algorithms.length > 0 ? await hashFile(path, algorithms, signal) : {};
  const byDigest = dd.enabled ? digests[dd.by] : undefined;
  const checksum =
    byDigest !== undefined
      ? `${dd.by}:${byDigest}`
      : digests.sha256 === undefined
        ? undefined
        : `sha256:${digests.sha256}`;
  return { digests, checksum };
}

/**
 * The key of `path` (at `relPath` under its source) by the job's template, under the destination's
 * prefix. Throws ERR_KEY_INVALID (permanent: the file is parked) when the template cannot make a
 * valid key for this file.
 */
export function objectKey(
  path: string,
  job: JobRuntime,
  relPath: string,
  st: FileStat,
  digests: FileDigests['digests'],
  context: { nowMs: number; hostname: string; env: Readonly<Record<string, string | undefined>> },
): string {
  const rendered = renderKey(
    job.config.key,
    {
      path: relPath,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs ?? st.mtimeMs,
      nowMs: context.nowMs,
      hostname: context.hostname,
      job: job.name,
      size: st.size,
      uuid: randomUUID(),
      env: context.env,
      ...digests,
    },
    job.destination.config.prefix,
  );
  if ('error' in rendered)
    throw new AppError('ERR_KEY_INVALID', `${path}: ${rendered.error}`, {
      hint: 'rename the file or change the job’s key template',
    });
  return rendered.key;
}
