/**
 * Download links: for an uploaded file (absolute path, looked up in the history) or for a key of a
 * job's destination, the destination's public URL template when it has one, else a presigned GET.
 * On a versioned bucket the presigned GET names the version: for a file, the version its upload
 * stored (the history's version id), so the link serves those bytes even after the key was written
 * again; for a key, the version asked for, else the current one.
 *
 * A key must lie under the job's destination prefix: a link is a signed read of the agent's
 * credentials, and the API (or a page that reached it) must not turn those into reads of any
 * object of the bucket. Keys with `.` or `..` segments are refused too (a client normalises them
 * away, so they could name another object than the one checked).
 */
import type { DestinationConfig } from '../config/agent-config.js';
import { AppError } from '../errors/app-error.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { ObjectTarget, VersionOption } from '../object-store/object-target.js';
import type { Clock } from '../platform/clock.js';

/** The store a link points into: it signs, and it says whether the object is there. */
export type LinkTarget = Pick<ObjectTarget, 'bucket' | 'endpoint' | 'headObject'> & {
  presignGet(key: string, expiresInSec: number, options?: VersionOption): Promise<string>;
};

/** A destination links are made for (the agent's DestinationRuntime is one). */
export interface LinkDestination {
  readonly config: DestinationConfig;
  readonly target: LinkTarget;
}

/** A job whose destination holds the keys it is asked about (the agent's JobRuntime is one). */
export interface LinkJob {
  readonly name: string;
  readonly destination: LinkDestination;
}

export interface ObjectLink {
  readonly url: string;
  readonly bucket: string;
  readonly key: string;
  readonly kind: 'public' | 'presigned';
  /** ms since the epoch; null for a public URL. */
  readonly expiresAt: number | null;
  /**
   * The version a presigned link serves, on a versioned bucket; null for the current version (an
   * unversioned bucket, a key asked without one, a public URL, which names the key only).
   */
  readonly versionId: string | null;
}

/** What a link is asked for. */
export interface LinkAsk {
  /** An absolute path (its latest finished upload) or an object key of the job's destination. */
  readonly what: string;
  /** The job whose destination holds the key (optional with one job). */
  readonly job?: string | undefined;
  /** Lifetime of a presigned link, ms (default: the destination's linkExpiry). */
  readonly expiresMs?: number | undefined;
  /** For a key: the version to link to (default the current one). */
  readonly versionId?: string | undefined;
}

/** What a link is made from: the journal, the clock, the destinations and the jobs. */
export interface ObjectLinkDeps {
  readonly journal: Pick<JournalStore, 'listHistory'>;
  readonly clock: Clock;
  readonly destinations: readonly LinkDestination[];
  readonly jobs: readonly LinkJob[];
  /** The job of that name; throws ERR_USAGE when there is none. */
  readonly job: (name: string) => LinkJob;
}

/**
 * The link asked for: an absolute path (its latest finished upload, the version it stored) or an
 * object key of the job `ask.job` (optional when one job is configured). `ask.expiresMs` overrides
 * the destination's link expiry for a presigned link. The object (the version) is looked at first
 * (HeadObject): no link is made for one that is not there. Rejects with ERR_FILE_NOT_FOUND (no
 * finished upload of the path), ERR_S3_NOT_FOUND (no such object or version in the store),
 * ERR_CONFIG_INVALID (its bucket is no job's any more), ERR_USAGE (which job is unclear), or the
 * store's error.
 */
export async function objectLink(ask: LinkAsk, deps: ObjectLinkDeps): Promise<ObjectLink> {
  const { what } = ask;
  const byPath = what.startsWith('/');
  const { dest, key, versionId } = byPath
    ? await uploaded(what, deps)
    : { ...ownKey(what, ask.job, deps), versionId: ask.versionId ?? null };
  const version = versionId === null ? {} : { versionId };
  if ((await dest.target.headObject(key, undefined, version)) === undefined)
    throw missing(dest, { key, versionId }, byPath, what);
  const c = dest.config;
  if (c.publicUrl !== undefined) {
    const encoded = key.split('/').map(encodeURIComponent).join('/');
    return {
      url: c.publicUrl.replace('{key}', encoded),
      bucket: c.bucket,
      key,
      kind: 'public',
      expiresAt: null,
      versionId: null,
    };
  }
  const ms = ask.expiresMs ?? c.linkExpiry;
  const url = await dest.target.presignGet(key, ms / 1000, version);
  return {
    url,
    bucket: c.bucket,
    key,
    kind: 'presigned',
    expiresAt: deps.clock.now() + ms,
    versionId,
  };
}

/** ERR_S3_NOT_FOUND for a link to an object (or version) that is not in the store. */
function missing(
  dest: LinkDestination,
  { key, versionId }: { key: string; versionId: string | null },
  byPath: boolean,
  path: string,
): AppError {
  const where = dest.target.endpoint === '' ? '' : ` at ${dest.target.endpoint}`;
  const object = `s3://${dest.target.bucket}/${key}${versionId === null ? '' : ` (version ${versionId})`}`;
  return byPath
    ? new AppError(
        'ERR_S3_NOT_FOUND',
        `${path} was uploaded to ${object}, which is no longer in the store${where}`,
        {
          hint: `it was deleted there: to send it again, touch ${path} (a changed file is sent again)`,
          details: { field: 'path' },
        },
      )
    : new AppError('ERR_S3_NOT_FOUND', `there is no object ${object}${where}`, {
        hint: 'check the key: `s3ferry history --key TEXT` lists the keys uploaded',
        details: { field: 'key' },
      });
}

/** The destination, key and version of the latest finished upload of `path`. */
async function uploaded(
  path: string,
  deps: ObjectLinkDeps,
): Promise<{ dest: LinkDestination; key: string; versionId: string | null }> {
  const done = (await deps.journal.listHistory({ limit: 50, sourcePath: path })).find(
    (h) => h.result === 'done',
  );
  if (done === undefined)
    throw new AppError('ERR_FILE_NOT_FOUND', `no finished upload of ${path} is recorded`, {
      hint: 'check the path, or give the object key instead',
    });
  const dest = deps.destinations.find(
    (d) => d.target.bucket === done.bucket && d.target.endpoint === done.endpoint,
  );
  if (dest === undefined)
    throw new AppError(
      'ERR_CONFIG_INVALID',
      `${path} went to s3://${done.bucket}, which no job uses any more`,
      { hint: 'link it by key from a job that writes to that bucket' },
    );
  return { dest, key: done.key, versionId: done.versionId };
}

/** `key` of the job's destination, refused (ERR_USAGE) when it is not under its prefix. */
function ownKey(
  key: string,
  jobName: string | undefined,
  deps: ObjectLinkDeps,
): { dest: LinkDestination; key: string } {
  const job = jobOf(jobName, deps);
  const { prefix } = job.destination.config;
  const dotted = key.split('/').some((segment) => segment === '.' || segment === '..');
  if (!key.startsWith(prefix) || key === prefix || dotted)
    throw new AppError(
      'ERR_USAGE',
      `no link for "${key}": links are given only for objects of the job ${job.name}, under its prefix "${prefix}"${dotted ? ' (without . or .. segments)' : ''}`,
      {
        hint: `give a key under ${prefix === '' ? 'the bucket' : `"${prefix}"`}, or the path of an uploaded file`,
        details: { field: 'key' },
      },
    );
  return { dest: job.destination, key };
}

/** The named job, or the only one. */
function jobOf(jobName: string | undefined, deps: ObjectLinkDeps): LinkJob {
  const only = deps.jobs.length === 1 ? deps.jobs[0] : undefined;
  const job = jobName === undefined ? only : deps.job(jobName);
  if (job === undefined)
    throw new AppError('ERR_USAGE', 'several jobs are configured: name one (--job)', {
      hint: 'see s3ferry status for the jobs',
      details: { field: 'job' },
    });
  return job;
}
