/**
 * The schema of one job (JobConfig) except that its destination may still be a name: the
 * top-level schema resolves names against `destinations:`.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { checkGlob } from '../domain/glob.js';
import { checkKeyTemplate } from '../domain/key-template.js';
import type { DestinationConfig, JobConfig } from './agent-config.js';
import { jobDestinationSchema } from './destination-schema.js';
import { jobLockFields } from './retention-schema.js';
import { checkNameGlob, duration, glob, name, regex, size, text } from './schema-values.js';

/** Temporary names never taken unless `ignore` says otherwise. */
export const DEFAULT_IGNORE: readonly string[] = ['*.tmp', '*.part', '.~*', '.*'];

const sourceObject = z.strictObject({
  path: text().describe('Directory to take files from.'),
  recursive: z.boolean().default(true).describe('Also take files from its subdirectories.'),
});

const source = z
  .union([text().transform((path) => ({ path, recursive: true })), sourceObject])
  .describe('A directory path, or a mapping `{path, recursive}`.');

const matchRule = z
  .strictObject({
    regex: regex().exactOptional().describe('Regular expression (JavaScript syntax), unanchored.'),
    glob: glob()
      .exactOptional()
      .describe('Glob: `*`, `**`, `?`, `[a-z]`, `{a,b}`; no `/` when on name.'),
    on: z
      .enum(['name', 'path'])
      .default('name')
      .describe('Match the file name, or the path relative to the source directory.'),
  })
  .superRefine((rule, ctx) => {
    if ((rule.regex === undefined) === (rule.glob === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of regex or glob' });
      return;
    }
    // A malformed glob was reported by its field already.
    if (rule.glob !== undefined && rule.on === 'name' && checkGlob(rule.glob) === undefined) {
      const error = checkNameGlob(rule.glob);
      if (error !== undefined) ctx.addIssue({ code: 'custom', path: ['glob'], message: error });
    }
  })
  .describe('One rule: exactly one of `regex` or `glob`, and `on`.');

const filters = z
  .strictObject({
    include: z
      .array(matchRule)
      .default(() => [])
      .describe('When not empty, only files matching at least one rule are taken.'),
    exclude: z
      .array(matchRule)
      .default(() => [])
      .describe('Files matching any rule are skipped.'),
    minSize: size().exactOptional().describe('Smaller files are skipped.'),
    maxSize: size().exactOptional().describe('Larger files are skipped.'),
    minAge: duration()
      .exactOptional()
      .describe('Files modified more recently than this are not taken yet.'),
    maxAge: duration().exactOptional().describe('Files modified longer ago than this are skipped.'),
  })
  .superRefine((f, ctx) => {
    if (f.minSize !== undefined && f.maxSize !== undefined && f.minSize > f.maxSize)
      ctx.addIssue({ code: 'custom', path: ['maxSize'], message: 'must not be below minSize' });
    if (f.minAge !== undefined && f.maxAge !== undefined && f.minAge > f.maxAge)
      ctx.addIssue({ code: 'custom', path: ['maxAge'], message: 'must not be below minAge' });
  });

const dedupe = z.strictObject({
  enabled: z.boolean().default(false).describe('Skip or copy files whose content was uploaded.'),
  by: z.enum(['sha256', 'md5']).default('sha256').describe('The content hash compared.'),
  action: z
    .enum(['skip', 'copy'])
    .default('skip')
    .describe('skip: upload nothing; copy: server-side copy the earlier object to the new key.'),
});

const after = z
  .strictObject({
    action: z
      .enum(['keep', 'delete', 'move'])
      .default('keep')
      .describe('What becomes of the source file once its object is verified.'),
    moveTo: text()
      .exactOptional()
      .describe(
        'Required with action move: the folder the file goes to (its relative path is kept).',
      ),
  })
  .superRefine((a, ctx) => {
    if (a.action === 'move' && a.moveTo === undefined)
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'required when action is move' });
    if (a.action !== 'move' && a.moveTo !== undefined)
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'only used with action: move' });
  });

const keyTemplate = z.string().superRefine((template, ctx) => {
  const error = checkKeyTemplate(template);
  if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
});

/** True when `inner` is `outer` or below it (both resolved against the working directory). */
function isWithin(inner: string, outer: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A moved file must not land where the job would take it again. */
function checkMoveTarget(
  job: { sources: readonly unknown[]; after: unknown },
  ctx: z.RefinementCtx,
): void {
  const moveTo = (job.after as { moveTo?: unknown } | undefined)?.moveTo;
  if (typeof moveTo !== 'string') return;
  for (const source of job.sources) {
    const { path, recursive } = source as { path?: unknown; recursive?: unknown };
    if (typeof path !== 'string') continue;
    if (recursive === true ? isWithin(moveTo, path) : resolve(moveTo) === resolve(path)) {
      ctx.addIssue({
        code: 'custom',
        path: ['after', 'moveTo'],
        message: `must be outside the job's source ${path}, or moved files would be taken again`,
      });
      return;
    }
  }
}

/** A job as the schema reads it: `destination` may still name an entry of `destinations:`. */
export type UnresolvedJob = Omit<JobConfig, 'destination'> & {
  readonly destination: string | DestinationConfig;
};

/** One job: where files come from, which ones, where they go and what happens after. */
export const jobSchema = z
  .strictObject({
    name: name('job').describe('Name of the job, unique: letters, digits, `_`, `.`, `-`.'),
    sources: z
      .array(source)
      .min(1, { error: 'list at least one source directory' })
      .describe(
        'Directories to take finished files from (at least one): a path, or `{path, recursive}`.',
      ),
    mode: z
      .enum(['watch', 'scan'])
      .default('watch')
      .describe('watch: filesystem events and rescans; scan: rescans only (network filesystems).'),
    rescanInterval: duration({ min: [1000, '1s'] })
      .prefault('1h')
      .describe('Interval of the full rescan that catches anything events missed (at least 1s).'),
    symlinks: z
      .enum(['inside', 'follow', 'skip'])
      .default('inside')
      .describe(
        'Symbolic links under the sources: inside (only links whose real path stays inside one ' +
          "of the job's sources; others are refused with an event), follow (any), skip (none). " +
          'Links to directories are never descended.',
      ),
    destination: jobDestinationSchema,
    key: keyTemplate
      .default('{path}')
      .describe('Object key template, after the prefix (see Key templates).'),
    settle: duration()
      .prefault('2s')
      .describe('A file is taken once unchanged (size, mtime, inode) this long.'),
    ignore: z
      .array(glob(true))
      .default(() => [...DEFAULT_IGNORE])
      .describe(
        'File name globs never taken (no `/`); a list given here replaces the default one.',
      ),
    markerSuffix: text()
      .refine((s) => !s.includes('/'), { error: "a marker suffix must not contain '/'" })
      .exactOptional()
      .describe('Take `x` only once `x` + this suffix exists (e.g. `.done`); markers stay local.'),
    filters: filters.prefault({}).describe('Include/exclude rules and size and age bounds.'),
    overwrite: z
      .enum(['never', 'if-changed', 'always', 'version-suffix'])
      .default('never')
      .describe('When the key exists: never, if-changed (size/sha256), always, version-suffix.'),
    ...jobLockFields,
    dedupe: dedupe.prefault({}).describe('Content deduplication.'),
    after: after.prefault({}).describe('What happens to the source file after upload.'),
    retryTimeout: duration()
      .exactOptional()
      .describe('Give up transient retries after this long; retry forever when absent.'),
    resume: z
      .boolean()
      .default(true)
      .describe(
        'Resume an interrupted multipart upload of a file version from the parts the store holds. ' +
          'false: the multipart upload the agent had started for this version is aborted and the ' +
          'file sent again from its first byte (the key stays the one planned).',
      ),
    paused: z
      .boolean()
      .default(false)
      .describe(
        'Pause the job when the agent starts. The switch is kept in the journal, for every agent of it, until `resume`.',
      ),
    manifest: z
      .enum(['daily', 'hourly'])
      .exactOptional()
      .describe(
        'Write what the job uploaded in each UTC day or hour as JSON lines to ' +
          '`_s3ferry/manifests/JOB/2026-12-06.jsonl` (hourly `…T09.jsonl`) under the prefix, once the window closed.',
      ),
  })
  .superRefine(checkMoveTarget)
  .meta({ id: 'job', description: 'A job.' }) satisfies z.ZodType<UnresolvedJob>;
