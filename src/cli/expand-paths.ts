/**
 * Turns the PATHS of `s3ferry upload` into (file, key) pairs: a directory is walked recursively
 * (key = prefix + path relative to it), a quoted glob is expanded (key = prefix + path relative to
 * the glob's fixed leading directories), and a file keeps its name (key = prefix + name). As with
 * `aws s3 cp`, one file to a URL that names a key (`s3://b/name.ext`, no trailing slash) is stored
 * under that key.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { compileGlob } from '../domain/glob.js';
import { fileError } from '../platform/node-file-system.js';
import type { S3Url } from './s3-url.js';

export interface FileToUpload {
  readonly path: string;
  readonly key: string;
  /**
   * The path the filters see: '/'-separated, relative to the directory or the glob's fixed part
   * it was found under; a file given by name is its name.
   */
  readonly rel: string;
}

const GLOB_CHARS = /[*?[\]{}]/;

function slashed(rel: string): string {
  return rel.split(sep).join('/');
}

/** Walks a directory; follows symlinks to files, not to directories (no loops). */
async function* walk(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw fileError(err, dir);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
    else if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined);
      if (target?.isFile() === true) yield full;
    }
  }
}

function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (GLOB_CHARS.test(part)) break;
    fixed.push(part);
  }
  return fixed.length === 0 ? '.' : fixed.join('/') || '/';
}

/** Expands PATHS. Throws ERR_FILE_NOT_FOUND for a path that neither exists nor matches. */
export async function expandPaths(
  paths: readonly string[],
  url: Pick<S3Url, 'prefix' | 'key'>,
): Promise<FileToUpload[]> {
  const { prefix } = url;
  const out: FileToUpload[] = [];
  const found = (path: string, rel: string): void => {
    out.push({ path: resolve(path), key: prefix + rel, rel });
  };
  for (const p of paths) {
    const info = await lstat(p).catch(() => undefined);
    if (info === undefined && GLOB_CHARS.test(p)) {
      const base = globBase(p);
      const matches: string[] = [];
      for await (const m of globIterate(p)) matches.push(m);
      if (matches.length === 0) {
        throw new AppError('ERR_FILE_NOT_FOUND', `no file matches ${p}`, {
          hint: 'check the pattern',
        });
      }
      for (const m of matches.sort()) found(m, slashed(relative(base, m)));
      continue;
    }
    const st = await stat(p).catch((err: unknown) => {
      throw fileError(err, p);
    });
    if (st.isDirectory()) {
      for await (const f of walk(p)) found(f, slashed(relative(p, f)));
    } else if (paths.length === 1 && url.key !== undefined) {
      out.push({ path: resolve(p), key: url.key, rel: basename(p) });
    } else {
      found(p, basename(p));
    }
  }
  return out;
}

/** Matches a glob by walking its fixed base directory (the same on every Node version). */
async function* globIterate(pattern: string): AsyncGenerator<string> {
  const clean = pattern.replace(/^\.\//, '');
  const base = globBase(clean);
  const re = compileGlob(clean, { dot: true });
  const info = await stat(base).catch(() => undefined);
  if (info?.isDirectory() !== true) return;
  for await (const f of walk(base)) if (re.test(f)) yield f;
}
