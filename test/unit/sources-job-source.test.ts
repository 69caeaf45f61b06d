/**
 * JobSource with a manual clock and a fake watcher (events fired by hand) over real tmp dirs:
 * the settle window, rescans and watcher lifecycle, deterministically.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { quiesce, RESCAN, SETTLE, setup, until } from '../support/job-source-harness.js';
import { makeTmpDir } from '../support/tmp.js';

describe('JobSource (manual clock, fake watcher)', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  let n = 0;
  const newDir = async (): Promise<string> => {
    n += 1;
    const dir = path.join(tmp.path, `case-${n}`);
    await mkdir(dir);
    return dir;
  };
  before(async () => {
    tmp = await makeTmpDir('sources-job-source');
  });
  after(async () => {
    await tmp.cleanup();
  });

  it('event -> settle window -> onFinished once; a change restarts the window', async () => {
    const dir = await newDir();
    const s = setup({ sources: [{ path: dir, recursive: true }] });
    await s.source.start();
    assert.equal(s.watchers.length, 1);
    assert.deepEqual(
      { root: s.watchers[0]?.opts.root, recursive: s.watchers[0]?.opts.recursive },
      { root: dir, recursive: true },
    );
    const file = path.join(dir, 'a.bin');
    await writeFile(file, 'abc');
    let seen = s.stats();
    s.watchers[0]?.opts.onChange(file);
    await until('the event stat', () => s.source.tracked === 1 && s.stats() > seen);

    s.clock.advance(SETTLE - 1);
    await appendFile(file, 'def');
    seen = s.stats();
    s.watchers[0]?.opts.onChange(file);
    await until('the second stat', () => s.stats() > seen);
    s.clock.advance(1); // the first window would end now: it was restarted
    await quiesce();
    assert.equal(s.finished.length, 0);

    s.clock.advance(SETTLE);
    await until('the report', () => s.finished.length === 1);
    assert.deepEqual(
      { ...s.finished[0], mtimeMs: 0, inode: 0, ctimeMs: 0 },
      {
        job: 'unit',
        root: dir,
        absPath: file,
        relPath: 'a.bin',
        size: 6,
        mtimeMs: 0,
        inode: 0,
        ctimeMs: 0,
      },
    );
    assert.equal(s.source.tracked, 0);
    await s.source.close();
    assert.equal(s.watchers[0]?.closed, true);
    assert.equal(s.clock.pendingSleeps, 0, 'close() cancels every sleep');
  });

  it('scan mode: no watcher; a file that changed without an event waits another window', async () => {
    const dir = await newDir();
    const s = setup({ sources: [{ path: dir, recursive: false }], mode: 'scan' });
    await s.source.start();
    const file = path.join(dir, 'b.bin');
    await writeFile(file, '1');
    await s.source.rescanNow();
    assert.equal(s.source.tracked, 1);
    await appendFile(file, '22');
    const seen = s.stats();
    s.clock.advance(SETTLE);
    await until('the re-stat', () => s.stats() > seen && s.source.tracked === 1);
    await quiesce();
    assert.equal(s.finished.length, 0);
    s.clock.advance(SETTLE);
    await until('the report', () => s.finished.length === 1);
    assert.equal(s.finished[0]?.size, 3);
    assert.equal(s.watchers.length, 0);
    await s.source.close();
  });

  it('a missing directory is reported, then watched and scanned once it exists; a replaced one is re-watched', async () => {
    const dir = path.join(tmp.path, 'later');
    const s = setup({ sources: [{ path: dir, recursive: true }] });
    await s.source.start();
    assert.equal(s.problems.length, 1);
    assert.match(
      s.problems[0]?.message ?? '',
      /does not exist; it is checked again at each rescan \(every 1m00s\)/,
    );
    assert.equal(s.watchers.length, 0);

    await mkdir(dir);
    await writeFile(path.join(dir, 'c.txt'), 'c');
    s.clock.advance(RESCAN);
    await until(
      'the watcher and the scan',
      () => s.watchers.length === 1 && s.source.tracked === 1,
    );
    s.clock.advance(SETTLE);
    await until('the report', () => s.finished.length === 1);

    // replaced at once (ext4 may even give the new directory the old inode number)
    await rm(dir, { recursive: true });
    await mkdir(dir);
    await writeFile(path.join(dir, 'd.txt'), 'd');
    s.watchers[0]?.opts.onRootRemoved?.();
    await until('a new watcher and a scan of the new directory', () => {
      return s.watchers.length === 2 && s.source.tracked === 1;
    });
    assert.equal(s.watchers[0]?.closed, true);

    // swapped without a word from the watcher: the rescan sees another inode and re-watches
    await rename(dir, `${dir}.old`);
    await mkdir(dir);
    s.clock.advance(RESCAN);
    await until('a watcher on the swapped-in directory', () => s.watchers.length === 3);
    assert.equal(s.watchers[1]?.closed, true);
    assert.equal(s.problems.length, 1);
    await s.source.close();
  });

  it('a scan waits while maxTracked files are unsettled, then goes on', async () => {
    const dir = await newDir();
    for (let i = 0; i < 7; i++) await writeFile(path.join(dir, `f${i}`), String(i));
    const s = setup({ sources: [{ path: dir, recursive: true }], mode: 'scan' }, 2);
    const starting = s.source.start();
    let most = 0;
    while (s.finished.length < 7) {
      await until('two tracked files', () => s.source.tracked === 2 || s.finished.length >= 6);
      most = Math.max(most, s.source.tracked);
      const before = s.finished.length;
      s.clock.advance(SETTLE);
      await until('progress', () => s.finished.length > before);
    }
    await starting;
    assert.equal(most, 2);
    assert.equal(new Set(s.finished.map((f) => f.relPath)).size, 7);
    await s.source.close();
  });

  it('ignores events outside a non-recursive root and reports a failing onFinished', async () => {
    const dir = await newDir();
    await mkdir(path.join(dir, 'sub'));
    const s = setup({ sources: [{ path: dir, recursive: false }] });
    await s.source.start();
    const deep = path.join(dir, 'sub', 'deep.txt');
    const top = path.join(dir, 'top.txt');
    await writeFile(deep, 'd');
    await writeFile(top, 't');
    s.failFinished(true);
    s.watchers[0]?.opts.onChange(deep);
    s.watchers[0]?.opts.onChange('/somewhere/else.txt');
    s.watchers[0]?.opts.onChange(top);
    await until('the stat of top.txt', () => s.source.tracked === 1);
    s.clock.advance(SETTLE);
    await until('the failure report', () => s.problems.length === 1);
    const problem = s.problems[0]!;
    assert.equal(problem.path, top);
    assert.match(problem.message, /handing over .* failed .*journal is down/);
    await s.source.close();
  });
});
