import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FilterConfig, MatchRule } from '../../src/config/agent-config.js';
import { DEFAULT_IGNORE } from '../../src/config/job-schema.js';
import {
  compileFilter,
  type Decision,
  type FilterJobConfig,
  isMarker,
  markerFor,
} from '../../src/domain/file-filter.js';
import { isAppError } from '../../src/errors/app-error.js';

const NOW = 1_700_000_000_000;

function job(filters: Partial<FilterConfig> = {}, extra: Partial<FilterJobConfig> = {}) {
  return compileFilter({
    ignore: DEFAULT_IGNORE,
    filters: { include: [], exclude: [], ...filters },
    ...extra,
  });
}

function decide(
  filter: ReturnType<typeof compileFilter>,
  relPath: string,
  size = 100,
  mtimeMs = NOW - 60_000,
): Decision {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  return filter.decide({ relPath, name, size, mtimeMs }, NOW);
}

/** The reason, or 'take'. */
function verdict(d: Decision): string {
  return d.take ? 'take' : d.reason;
}

const glob = (g: string, on: MatchRule['on'] = 'name'): MatchRule => ({ glob: g, on });
const regex = (r: string, on: MatchRule['on'] = 'name'): MatchRule => ({ regex: r, on });

describe('file filter: ignore list and markers', () => {
  it('the default ignore list leaves out temporary names and dotfiles', () => {
    assert.deepEqual(DEFAULT_IGNORE, ['*.tmp', '*.part', '.~*', '.*']);
    const f = job();
    for (const name of ['a.tmp', 'b.part', '.~lock.x#', '.hidden', 'd/.x.tmp', 'x/.git']) {
      assert.equal(verdict(decide(f, name)), 'ignored', name);
    }
    for (const name of ['a.txt', 'a.tmp.txt', 'tmp', 'd/a.part2', 'a~']) {
      assert.equal(verdict(decide(f, name)), 'take', name);
    }
    assert.deepEqual(decide(f, 'dir/a.tmp'), {
      take: false,
      reason: 'ignored',
      detail: "'dir/a.tmp' matches the ignore glob '*.tmp'",
    });
  });

  it('ignore globs match on the name only, and match dotfiles too', () => {
    const f = job({}, { ignore: ['*.tmp'] });
    assert.equal(verdict(decide(f, '.hidden')), 'take');
    assert.equal(verdict(decide(f, '.x.tmp')), 'ignored');
    assert.equal(verdict(decide(f, 'x.tmp/file')), 'take');
    assert.equal(verdict(decide(job({}, { ignore: [] }), 'a.tmp')), 'take');
  });

  it('a marker is never taken itself, even when it is also ignored', () => {
    const f = job({}, { markerSuffix: '.done' });
    assert.deepEqual(decide(f, 'v/x.mp4.done'), {
      take: false,
      reason: 'marker',
      detail: "'v/x.mp4.done' is a marker (suffix '.done'); markers are never uploaded",
    });
    assert.equal(verdict(decide(f, '.x.done')), 'marker');
    assert.equal(verdict(decide(f, 'v/x.mp4')), 'take');
    assert.equal(verdict(decide(f, '.done')), 'ignored');
    assert.equal(verdict(decide(job(), 'x.mp4.done')), 'take');
  });

  it('markerFor and isMarker', () => {
    assert.equal(markerFor('x.mp4', '.done'), 'x.mp4.done');
    assert.equal(isMarker('x.mp4.done', '.done'), true);
    assert.equal(isMarker('x.mp4', '.done'), false);
    assert.equal(isMarker('.done', '.done'), false);
    assert.equal(isMarker('x.done', ''), false);
    assert.equal(isMarker('xdone', '.done'), false);
  });
});

describe('file filter: include and exclude', () => {
  it('include by glob on the name: must match one rule', () => {
    const f = job({ include: [glob('*.mp4'), glob('*.mkv')] });
    assert.equal(verdict(decide(f, 'a/b.mp4')), 'take');
    assert.equal(verdict(decide(f, 'b.mkv')), 'take');
    assert.deepEqual(decide(f, 'a/b.avi'), {
      take: false,
      reason: 'not-included',
      detail: "'a/b.avi' matches no include rule",
    });
  });

  it('include globs do not match dotfiles unless they start with a dot', () => {
    const f = job({ include: [glob('*')] }, { ignore: [] });
    assert.equal(verdict(decide(f, '.env')), 'not-included');
    assert.equal(verdict(decide(job({ include: [glob('.*')] }, { ignore: [] }), '.env')), 'take');
  });

  it('include by glob on the path', () => {
    const f = job({ include: [glob('cams/**/*.jpg', 'path')] });
    assert.equal(verdict(decide(f, 'cams/1/2/a.jpg')), 'take');
    assert.equal(verdict(decide(f, 'cams/a.jpg')), 'take');
    assert.equal(verdict(decide(f, 'other/a.jpg')), 'not-included');
    assert.equal(verdict(decide(f, 'a.jpg')), 'not-included');
  });

  it('include by regex on the name and on the path (unanchored unless anchored)', () => {
    const byName = job({ include: [regex('^IMG_\\d+\\.jpg$')] });
    assert.equal(verdict(decide(byName, 'x/IMG_12.jpg')), 'take');
    assert.equal(verdict(decide(byName, 'x/IMG_12.jpg.bak')), 'not-included');
    const byPath = job({ include: [regex('^2024/', 'path')] });
    assert.equal(verdict(decide(byPath, '2024/a')), 'take');
    assert.equal(verdict(decide(byPath, 'x/2024/a')), 'not-included');
    const unanchored = job({ include: [regex('report')] });
    assert.equal(verdict(decide(unanchored, 'q3-report-final.pdf')), 'take');
  });

  it('exclude by glob and regex, on the name and on the path, after include', () => {
    const f = job({
      include: [glob('*.log'), glob('*.txt')],
      exclude: [glob('debug-*'), regex('^private/', 'path'), glob('**/cache/**', 'path')],
    });
    assert.equal(verdict(decide(f, 'a/app.log')), 'take');
    assert.deepEqual(decide(f, 'a/debug-1.log'), {
      take: false,
      reason: 'excluded',
      detail: "'a/debug-1.log' matches the exclude rule glob 'debug-*' on name",
    });
    assert.deepEqual(decide(f, 'private/a.txt'), {
      take: false,
      reason: 'excluded',
      detail: "'private/a.txt' matches the exclude rule regex '^private/' on path",
    });
    assert.equal(verdict(decide(f, 'x/cache/y/a.txt')), 'excluded');
    assert.equal(verdict(decide(f, 'x/private/a.txt')), 'take');
    assert.equal(verdict(decide(f, 'debug-1.csv')), 'not-included');
  });

  it('exclude globs match dotfiles too', () => {
    const f = job({ exclude: [glob('*.log')] }, { ignore: [] });
    assert.equal(verdict(decide(f, '.debug.log')), 'excluded');
    assert.equal(verdict(decide(f, 'a.log')), 'excluded');
    assert.equal(verdict(decide(f, 'a.txt')), 'take');
  });
});

describe('file filter: size and age bounds', () => {
  it('size: exactly min and max are taken, one byte outside is not', () => {
    const f = job({ minSize: 10, maxSize: 20 });
    assert.equal(verdict(decide(f, 'a', 10)), 'take');
    assert.equal(verdict(decide(f, 'a', 20)), 'take');
    assert.deepEqual(decide(f, 'a', 9), {
      take: false,
      reason: 'too-small',
      detail: "'a' is 9 bytes, below the minimum of 10",
    });
    assert.deepEqual(decide(f, 'a', 21), {
      take: false,
      reason: 'too-large',
      detail: "'a' is 21 bytes, above the maximum of 20",
    });
    assert.equal(verdict(decide(job({ minSize: 0 }), 'empty', 0)), 'take');
  });

  it('minimum age: too young means not yet, with the time to look again', () => {
    const f = job({ minAge: 10_000 });
    assert.equal(verdict(decide(f, 'a', 1, NOW - 10_000)), 'take');
    assert.deepEqual(decide(f, 'a', 1, NOW - 9_999), {
      take: false,
      reason: 'too-young',
      detail: "'a' was modified 9999 ms ago; it is taken once 10000 ms old",
      retryAtMs: NOW + 1,
    });
    const future = decide(f, 'a', 1, NOW + 5_000);
    assert.ok(!future.take && future.reason === 'too-young');
    assert.equal(future.retryAtMs, NOW + 15_000);
    // without a minimum age a file with an mtime in the future is taken
    assert.equal(verdict(decide(job(), 'a', 1, NOW + 5_000)), 'take');
  });

  it('maximum age: exactly the maximum is taken, older never is', () => {
    const f = job({ maxAge: 86_400_000 });
    assert.equal(verdict(decide(f, 'a', 1, NOW - 86_400_000)), 'take');
    assert.deepEqual(decide(f, 'a', 1, NOW - 86_400_001), {
      take: false,
      reason: 'too-old',
      detail: "'a' was modified 86400001 ms ago, more than the maximum age of 86400000 ms",
    });
  });

  it('checks run in order: marker, ignore, include, exclude, size, age', () => {
    const f = job(
      {
        include: [glob('*.mp4')],
        exclude: [glob('bad*')],
        minSize: 10,
        minAge: 1_000,
      },
      { markerSuffix: '.done', ignore: ['*.part', '*.done'] },
    );
    assert.equal(verdict(decide(f, 'x.done', 1, NOW)), 'marker');
    assert.equal(verdict(decide(f, 'bad.part', 1, NOW)), 'ignored');
    assert.equal(verdict(decide(f, 'bad.avi', 1, NOW)), 'not-included');
    assert.equal(verdict(decide(f, 'bad.mp4', 1, NOW)), 'excluded');
    assert.equal(verdict(decide(f, 'ok.mp4', 1, NOW)), 'too-small');
    assert.equal(verdict(decide(f, 'ok.mp4', 10, NOW)), 'too-young');
    assert.equal(verdict(decide(f, 'ok.mp4', 10, NOW - 1_000)), 'take');
  });
});

describe('file filter: no pattern can stall the event loop', () => {
  it('regular expressions that backtrack catastrophically run in linear time', () => {
    // Issue 15, item 6: each of these kept V8's backtracking engine busy for minutes (or far
    // longer) on a name or path that almost matches; the results are asserted, never a time.
    const name = `${'a'.repeat(240)}!`;
    const path = 'L'.repeat(3000);
    const cases: readonly [MatchRule, string][] = [
      [regex('^(a+)+$'), name],
      [regex('^(a|a)*$'), name],
      [regex('^(a|aa)+$'), name],
      [regex('^(\\w+\\s?)*$'), name],
      [regex('.*L.*L.*L.*L.*L.*X', 'path'), path],
      [glob('**/*L*L*L*L*L*X', 'path'), path],
    ];
    for (const [rule, subject] of cases) {
      const f = job({ include: [rule] });
      assert.equal(verdict(decide(f, subject)), 'not-included', JSON.stringify(rule));
    }
    assert.equal(verdict(decide(job({ include: [regex('^(a+)+$')] }), 'a'.repeat(240))), 'take');
  });

  it('keeps JavaScript syntax: escapes, named groups, classes, lookbehind', () => {
    const f = job({
      include: [
        regex('^caf\\u00e9'),
        regex('^(?<year>\\d{4})-'),
        regex('(?<=^x)y'),
        regex('[\\w-]+\\.log$'),
      ],
    });
    for (const name of ['café.txt', '2024-a.txt', 'xy', 'some-name.log'])
      assert.equal(verdict(decide(f, name)), 'take', name);
    for (const name of ['cafe.txt', '24-a.txt', 'zy', 'a b.log.x'])
      assert.equal(verdict(decide(f, name)), 'not-included', name);
  });
});

describe('compileFilter refuses rules that do not compile', () => {
  it('a bad regular expression, a bad glob, a rule with both or neither', () => {
    const bad: readonly MatchRule[] = [
      regex('('),
      regex('^(?!draft).*'),
      regex('(a)\\1'),
      glob('[z-a]'),
      { regex: 'a', glob: 'a', on: 'name' },
      { on: 'name' },
    ];
    for (const rule of bad) {
      assert.throws(
        () => job({ include: [rule] }),
        (e) => isAppError(e, 'ERR_CONFIG_INVALID'),
        JSON.stringify(rule),
      );
    }
    assert.throws(
      () => job({}, { ignore: [''] }),
      (e) => isAppError(e, 'ERR_CONFIG_INVALID'),
    );
  });
});
