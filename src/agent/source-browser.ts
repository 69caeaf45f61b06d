/**
 * Lists one directory under one of a job's sources, for the backfill picker. It never leaves the
 * sources: the path must be relative, without '..' segments, and its real location (symbolic links
 * resolved) must stay inside the source's real location. Entries that are symbolic links to
 * outside the source, links to directories (the scanner never follows those either), and
 * anything but files and directories are left out.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors/app-error.js';
import type { FileState, JournalStore } from '../journal/journal-store.js';
import { toSourceRoots } from '../sources/source-roots.js';
import { hasParentSegment, isWithin } from './backfill.js';
import type { JobRuntime } from './job-runtime.js';

/** One entry of a listed directory. */
export interface BrowseEntry {
  readonly name: string;
  readonly type: 'file' | 'dir';
  /** Bytes (0 for directories). */
  readonly size: number;
  readonly mtimeMs: number;
  /** The journal's state of the file, when the job knows it. */
  readonly state?: FileState;
}

/** A listed directory. */
export interface BrowseResult {
  /** The source directory (absolute). */
  readonly root: string;
  /** The listed directory relative to `root`, '/'-separated; '' for the root itself. */
  readonly path: string;
  readonly entries: BrowseEntry[];
  /** Entries in the whole directory (the page is `entries`). */
  readonly total: number;
}

/** Which directory, and which page of it. */
export interface BrowseQuery {
  /** One of the job's sources; its first when absent. */
  readonly root?: string;
  readonly path: string;
  readonly limit: number;
  readonly offset: number;
}

function refuse(field: string, message: string, hint: string): AppError {
  return new AppError('ERR_USAGE', message, { hint, details: { field } });
}

const byTypeThenName = (a: Dirent, b: Dirent): number =>
  Number(b.isDirectory()) - Number(a.isDirectory()) ||
  (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Where `query` points, checked; throws AppError ERR_USAGE (with `field`) or ERR_FILE_NOT_FOUND. */
async function resolveDir(job: JobRuntime, query: BrowseQuery) {
  const roots = toSourceRoots(job.config.sources);
  const root =
    query.root === undefined
      ? roots[0]
      : roots.find((r) => r.root === path.resolve(query.root ?? ''));
  if (root === undefined)
    throw refuse(
      'root',
      `${query.root ?? ''} is not a source of job ${job.name}`,
      'see GET /api/v1/jobs',
    );
  const rel = query.path.replace(/^\/+|\/+$/g, '');
  if (path.isAbsolute(query.path) && query.path !== '/' && rel !== '')
    throw refuse('path', 'the path must be relative to the source', 'give the path below root');
  if (hasParentSegment(rel))
    throw refuse(
      'path',
      `'..' is not allowed: the path must stay inside the job's sources`,
      'browse from root downwards',
    );
  if (!root.recursive && rel !== '')
    throw refuse(
      'path',
      `${root.root} is not recursive: only its top level is watched`,
      'browse the source itself',
    );
  const dir = path.join(root.root, rel);
  const [realRoot, realDir] = await Promise.all([realpath(root.root), realpath(dir)]).catch(
    (err: unknown) => {
      throw new AppError('ERR_FILE_NOT_FOUND', `${dir} does not exist`, {
        cause: err,
        hint: 'browse its parent',
        details: { field: 'path' },
      });
    },
  );
  if (!isWithin(realRoot, realDir))
    throw refuse(
      'path',
      `${dir} leads to ${realDir}, outside the job's sources`,
      'browse the source itself',
    );
  if (!(await stat(realDir)).isDirectory())
    throw refuse('path', `${dir} is not a directory`, 'give a directory');
  return { root, rel: rel.split(path.sep).join('/'), dir, realRoot };
}

/** Lists a directory under a job's source; see the module comment. */
export async function browseSource(
  job: JobRuntime,
  journal: Pick<JournalStore, 'fileStates'>,
  query: BrowseQuery,
): Promise<BrowseResult> {
  const { root, rel, dir, realRoot } = await resolveDir(job, query);
  const listed = await readdir(dir, { withFileTypes: true });
  const kept: { entry: Dirent; abs: string }[] = [];
  for (const entry of listed) {
    const abs = path.join(dir, entry.name);
    if (entry.isFile() || (entry.isDirectory() && root.recursive)) kept.push({ entry, abs });
    else if (entry.isSymbolicLink()) {
      // Kept only when it is a file inside the source (like the scanner, which follows those).
      const real = await realpath(abs).catch(() => undefined);
      const st = real === undefined ? undefined : await stat(real).catch(() => undefined);
      if (real !== undefined && st?.isFile() === true && isWithin(realRoot, real))
        kept.push({ entry, abs });
    }
  }
  kept.sort((a, b) => byTypeThenName(a.entry, b.entry));
  const page = kept.slice(query.offset, query.offset + query.limit);
  const states = await journal.fileStates(
    job.name,
    page.filter((p) => !p.entry.isDirectory()).map((p) => p.abs),
  );
  const entries: BrowseEntry[] = [];
  for (const { entry, abs } of page) {
    const st = await stat(abs).catch(() => undefined);
    if (st === undefined) continue; // gone since it was listed
    const isDir = st.isDirectory();
    const state = states[abs];
    entries.push({
      name: entry.name,
      type: isDir ? 'dir' : 'file',
      size: isDir ? 0 : st.size,
      mtimeMs: st.mtimeMs,
      ...(state === undefined ? {} : { state }),
    });
  }
  return { root: root.root, path: rel, entries, total: kept.length };
}
