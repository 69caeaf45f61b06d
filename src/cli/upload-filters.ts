/**
 * `--exclude` and `--include` of `s3ferry upload`, as the AWS CLI applies them: every file is in
 * to begin with, the filters are applied in the order given, and the last one that matches a file
 * decides (`--exclude '*' --include '*.jpg'` uploads only the JPEGs). A glob without '/' is
 * matched against the file name at any depth (`*.tmp`); one with '/' against the path relative to
 * the directory or glob the file was found under (`logs/**\/*.gz`). Globs: domain/glob.ts, dotfiles
 * matched too.
 */
import { checkGlob, compileGlob, type GlobMatcher } from '../domain/glob.js';
import { AppError } from '../errors/app-error.js';

/** One filter as given on the command line. */
export interface FilterSpec {
  readonly kind: 'include' | 'exclude';
  readonly glob: string;
}

/** A filter ready to test paths. */
interface Filter extends FilterSpec {
  readonly re: GlobMatcher;
  /** Tested against the whole relative path (the glob has a '/'), else against the name. */
  readonly onPath: boolean;
}

/** Filters in the order given; an empty list lets every file in. */
export class PathFilters {
  readonly #filters: readonly Filter[];

  /** Throws ERR_USAGE naming a glob that cannot be used. */
  constructor(specs: readonly FilterSpec[]) {
    this.#filters = specs.map((spec) => {
      const error = checkGlob(spec.glob);
      if (error !== undefined)
        throw new AppError('ERR_USAGE', `--${spec.kind} "${spec.glob}": ${error}`, {
          hint: 'write a glob like *.tmp, logs/**/*.gz or photo-?.jpg',
        });
      const glob = spec.glob.replace(/^\.?\//, '');
      return { ...spec, re: compileGlob(glob, { dot: true }), onPath: glob.includes('/') };
    });
  }

  get size(): number {
    return this.#filters.length;
  }

  /** True when the file at `rel` ('/'-separated, relative) is to be uploaded. */
  includes(rel: string): boolean {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    let included = true;
    for (const f of this.#filters)
      if (f.re.test(f.onPath ? rel : name)) included = f.kind === 'include';
    return included;
  }
}

/** Where each filter was given, so that --exclude and --include keep their common order. */
let given = 0;

/**
 * A commander option parser that appends `value` to the filters given so far. Both options share
 * it: each entry keeps its place in the order given across the two.
 */
export function filterOption(kind: FilterSpec['kind']): (
  value: string,
  previous: (FilterSpec & { at: number })[] | undefined,
) => (FilterSpec & {
  at: number;
})[] {
  return (value, previous) => [...(previous ?? []), { kind, glob: value, at: (given += 1) }];
}

/** The filters of both options, in the order given on the command line. */
export function filterSpecs(
  ...lists: (readonly (FilterSpec & { at: number })[] | undefined)[]
): FilterSpec[] {
  return lists
    .flatMap((l) => l ?? [])
    .sort((a, b) => a.at - b.at)
    .map(({ kind, glob }) => ({ kind, glob }));
}
