/**
 * Turns the PATHS of `s3ferry upload` into (file, key) pairs: a file keeps its name, a directory
 * is walked recursively (key = prefix + path relative to it), and a quoted glob is expanded (key =
 * prefix + path relative to the glob's fixed leading directories).
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { compileGlob } from '../domain/glob.js';
import { fileError } from '../platform/node-file-system.js';

export interface FileToUpload {
  readonly path: string;
  readonly key: string;
}

const GLOB_CHARS = /[*?[\]{}]/;

function toKey(prefix: string, rel: string): string {
  return prefix + rel.split(sep).join('/');
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
  prefix: string,
): Promise<FileToUpload[]> {
  const out: FileToUpload[] = [];
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
      for (const m of matches.sort())
        out.push({ path: resolve(m), key: toKey(prefix, relative(base, m)) });
      continue;
    }
    const st = await stat(p).catch((err: unknown) => {
      throw fileError(err, p);
    });
    if (st.isDirectory()) {
      for await (const f of walk(p))
        out.push({ path: resolve(f), key: toKey(prefix, relative(p, f)) });
    } else {
      out.push({ path: resolve(p), key: prefix + basename(p) });
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
