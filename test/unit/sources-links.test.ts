/**
 * The sources' rule for symbolic links (issue 15, item 4) and names that are not valid UTF-8
 * (item 12), on real tmp dirs with a manual clock and a fake watcher (support/job-source-harness):
 * what is handed over, what is refused and said once, whatever the rescans and events.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SymlinkPolicy } from '../../src/sources/link-rule.js';
import { quiesce, RESCAN, SETTLE, setup, until } from '../support/job-source-harness.js';
import { makeTmpDir } from '../support/tmp.js';

describe('sources: symbolic links and undecodable names', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  let n = 0;
  before(async () => {
    tmp = await makeTmpDir('sources-links');
  });
  after(async () => {
    await tmp.cleanup();
  });

  /**
   * Two sources and a directory outside both: `a/` holds a file, a link to it, a link into `b/`,
   * a link to a secret outside, and a link to the outside directory.
   */
  async function tree(): Promise<{ a: string; b: string; outside: string }> {
    n += 1;
    const base = path.join(tmp.path, `case-${n}`);
    const [a, b, outside] = ['a', 'b', 'outside'].map((d) => path.join(base, d)) as [
      string,
      string,
      string,
    ];
    for (const d of [a, b, outside]) await mkdir(d, { recursive: true });
    await writeFile(path.join(a, 'real.txt'), 'real');
    await writeFile(path.join(b, 'b.txt'), 'in the other source');
    await writeFile(path.join(outside, 'agent.yaml'), 'secretAccessKey: not-for-the-bucket');
    await writeFile(path.join(outside, 'deep.txt'), 'below a linked directory');
    await symlink(path.join(a, 'real.txt'), path.join(a, 'in-link.txt'));
    await symlink(path.join(b, 'b.txt'), path.join(a, 'to-b.txt'));
    await symlink(path.join(outside, 'agent.yaml'), path.join(a, 'x.txt'));
    await symlink(outside, path.join(a, 'dir-out'));
    await symlink('.', path.join(a, 'self'));
    return { a, b, outside };
  }

  /** Scans and settles `symlinks` over the tree; the names handed over and the problems. */
  async function run(symlinks: SymlinkPolicy | undefined) {
    const { a, b } = await tree();
    const s = setup({
      sources: [
        { path: a, recursive: true },
        { path: b, recursive: true },
      ],
      mode: 'scan',
      ...(symlinks === undefined ? {} : { symlinks }),
    });
    await s.source.start();
    s.clock.advance(SETTLE);
    await until('the hand-over', () => s.source.tracked === 0);
    await quiesce();
    const names = (): string[] =>
      s.finished.map((f) => path.relative(path.dirname(a), f.absPath)).sort();
    return { s, a, names };
  }

  it('inside (the default): links that stay in the sources are taken, one that leads out is refused once, with the reason and the fix', async () => {
    const { s, a, names } = await run(undefined);
    assert.deepEqual(names(), ['a/in-link.txt', 'a/real.txt', 'a/to-b.txt', 'b/b.txt']);
    assert.deepEqual(
      s.problems.map((p) => ({ path: p.path, kind: p.kind })),
      [{ path: path.join(a, 'x.txt'), kind: 'link-refused' }],
    );
    assert.match(
      s.problems[0]?.message ?? '',
      /^a symbolic link to .*outside\/agent\.yaml, outside the job's sources: not uploaded \(symlinks: inside\)\. Fix: .*symlinks: follow/,
    );
    // nothing below the linked directory, no loop through `self`
    assert.ok(!names().some((f) => f.includes('dir-out') || f.includes('self')));

    // rescans and events meet the link again: said once, never handed over
    for (let i = 0; i < 2; i += 1) {
      await s.source.rescanNow(); // the whole scan: every file observed again
      s.clock.advance(SETTLE);
      await until('settled', () => s.source.tracked === 0);
    }
    await quiesce();
    assert.equal(s.problems.length, 1);
    assert.ok(!s.finished.some((f) => f.absPath.endsWith('x.txt')));
    await s.source.close();
  });

  it('follow: every link to a file is taken', async () => {
    const { s, names } = await run('follow');
    assert.deepEqual(names(), ['a/in-link.txt', 'a/real.txt', 'a/to-b.txt', 'a/x.txt', 'b/b.txt']);
    assert.deepEqual(s.problems, []);
    await s.source.close();
  });

  it('skip: nothing reached through a link is taken, without a word', async () => {
    const { s, names } = await run('skip');
    assert.deepEqual(names(), ['a/real.txt', 'b/b.txt']);
    assert.deepEqual(s.problems, []);
    await s.source.close();
  });

  it('a file whose name is not valid UTF-8 is reported when its event arrives, once', async () => {
    n += 1;
    const dir = path.join(tmp.path, `case-${n}`);
    await mkdir(dir);
    const s = setup({ sources: [{ path: dir, recursive: true }] });
    await s.source.start();
    const raw = Buffer.concat([
      Buffer.from(path.join(dir, 'bad-')),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('.t'),
    ]);
    writeFileSync(raw, 'x');
    const named = raw.toString('utf8'); // what an event (or a listing) names it
    s.watchers[0]?.opts.onChange(named);
    await until('the report', () => s.problems.length > 0);
    s.watchers[0]?.opts.onChange(named);
    await quiesce();
    assert.deepEqual(
      s.problems.map((p) => p.path),
      [named],
      'reported at the event, before any rescan, and once',
    );
    assert.match(s.problems[0]?.message ?? '', /not valid UTF-8.*rename it/);
    // the next rescan lists it: not said again
    s.clock.advance(RESCAN);
    await quiesce();
    assert.equal(s.problems.length, 1);
    await s.source.close();
  });
});
