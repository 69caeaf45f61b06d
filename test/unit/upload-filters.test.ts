/**
 * --exclude / --include of `s3ferry upload`, as the AWS CLI applies them: all files in to begin
 * with, filters in the order given, the last that matches decides; a glob without '/' matches the
 * name at any depth, one with '/' the relative path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { isAppError } from '../../src/errors/app-error.js';
import { filterOption, filterSpecs, PathFilters } from '../../src/cli/upload-filters.js';

const PATHS = ['a.txt', 'b.tmp', 'sub/c.txt', 'sub/d.tmp', 'sub/deep/e.log', '.hidden'];

function kept(...specs: ['include' | 'exclude', string][]): string[] {
  const filters = new PathFilters(specs.map(([kind, glob]) => ({ kind, glob })));
  return PATHS.filter((p) => filters.includes(p));
}

describe('upload filters', () => {
  it('let every file in without filters', () => {
    assert.deepEqual(kept(), PATHS);
  });

  it('match a name at any depth, a path with a slash', () => {
    assert.deepEqual(kept(['exclude', '*.tmp']), [
      'a.txt',
      'sub/c.txt',
      'sub/deep/e.log',
      '.hidden',
    ]);
    assert.deepEqual(kept(['exclude', 'sub/*']), ['a.txt', 'b.tmp', 'sub/deep/e.log', '.hidden']);
    assert.deepEqual(kept(['exclude', 'sub/**']), ['a.txt', 'b.tmp', '.hidden']);
    assert.deepEqual(
      kept(['exclude', '.*']),
      PATHS.filter((p) => p !== '.hidden'),
    );
  });

  it('apply in order: the last that matches decides', () => {
    assert.deepEqual(kept(['exclude', '*'], ['include', '*.txt']), ['a.txt', 'sub/c.txt']);
    assert.deepEqual(kept(['include', '*.txt'], ['exclude', '*']), []);
    assert.deepEqual(kept(['exclude', '*.tmp'], ['include', 'sub/d.tmp']), [
      'a.txt',
      'sub/c.txt',
      'sub/d.tmp',
      'sub/deep/e.log',
      '.hidden',
    ]);
  });

  it('keep the order given across --exclude and --include on the command line', () => {
    const cmd = new Command()
      .exitOverride()
      .option('--exclude <glob>', '', filterOption('exclude'))
      .option('--include <glob>', '', filterOption('include'));
    cmd.parse(['--exclude', '*', '--include', '*.txt', '--exclude', 'sub/*'], { from: 'user' });
    const o = cmd.opts<{ exclude: never; include: never }>();
    assert.deepEqual(filterSpecs(o.exclude, o.include), [
      { kind: 'exclude', glob: '*' },
      { kind: 'include', glob: '*.txt' },
      { kind: 'exclude', glob: 'sub/*' },
    ]);
  });

  it('refuse a glob that cannot be used, naming the option', () => {
    assert.throws(
      () => new PathFilters([{ kind: 'exclude', glob: '[z-a]' }]),
      (e) => isAppError(e, 'ERR_USAGE') && /^--exclude "\[z-a\]"/.test(e.message),
    );
  });
});
