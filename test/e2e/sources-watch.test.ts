/**
 * JobSource on real directories, the real clock and chokidar. Generous timeouts, no timing
 * assertions: every wait is "until it happened, or fail after a long time".
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/platform/clock.js';
import {
  chokidarWatcherFactory,
  type ChokidarWatcherOptions,
} from '../../src/sources/chokidar/chokidar-watcher.js';
import {
  JobSource,
  type FinishedFile,
  type JobSourceJob,
  type SourceProblem,
} from '../../src/sources/job-source.js';
import { statSourceFile } from '../../src/sources/node-stat.js';
import { makeTmpDir } from '../support/tmp.js';

const TEST_TIMEOUT = 60_000;
const WAIT_MS = 30_000;
const HOUR = 3_600_000;

interface Harness {
  source: JobSource;
  finished: FinishedFile[];
  problems: SourceProblem[];
  /** Every report for `absPath`. */
  reportsOf(absPath: string): FinishedFile[];
}

function harness(
  job: Partial<JobSourceJob> & Pick<JobSourceJob, 'sources'>,
  tuning: ChokidarWatcherOptions = {},
): Harness {
  const finished: FinishedFile[] = [];
  const problems: SourceProblem[] = [];
  const source = new JobSource({
    job: { name: 'e2e', mode: 'watch', rescanInterval: HOUR, settle: 1_000, ...job },
    clock: systemClock,
    watcherFactory: chokidarWatcherFactory(tuning),
    stat: statSourceFile,
    onFinished: (f) => {
      finished.push(f);
      return Promise.resolve();
    },
    onError: (e) => {
      problems.push(e);
    },
  });
  return {
    source,
    finished,
    problems,
    reportsOf: (absPath) => finished.filter((f) => f.absPath === absPath),
  };
}

async function waitFor(what: string, cond: () => boolean, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(50);
  }
}

describe('JobSource on real directories (chokidar, real clock)', { timeout: 5 * 60_000 }, () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  let n = 0;
  const open: JobSource[] = [];
  const newDir = async (): Promise<string> => {
    n += 1;
    const dir = path.join(tmp.path, `case-${n}`);
    await mkdir(dir);
    return dir;
  };
  const started = async (h: Harness): Promise<Harness> => {
    open.push(h.source);
    await h.source.start();
    return h;
  };

  before(async () => {
    tmp = await makeTmpDir('sources-watch');
  });
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
    await tmp.cleanup();
  });

  it(
    'reports a file written slowly over ~3 s once, after it stops changing, with its final size',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      const h = await started(
        harness({ sources: [{ path: dir, recursive: true }], settle: 2_000 }),
      );
      const file = path.join(dir, 'recording.mp4');
      const chunk = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 12; i++) {
        await appendFile(file, chunk);
        await delay(250);
      }
      await waitFor('the finished recording', () => h.reportsOf(file).length > 0);
      await delay(4_000); // well past another settle window: still once
      const reports = h.reportsOf(file);
      assert.equal(reports.length, 1);
      const report = reports[0]!;
      assert.equal(report.size, 12 * chunk.length);
      assert.equal(report.relPath, 'recording.mp4');
      assert.equal(report.root, dir);
      assert.equal(report.job, 'e2e');
    },
  );

  it(
    'files and new directories whose events chokidar loses are found by listing their directory again, not at the next rescan (1 h)',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      await mkdir(path.join(dir, 'sub'));
      // Everything under a '.lost' name: files, and a whole new directory tree (gone.lost/x/).
      const lost = (p: string): boolean => p.includes('.lost');
      const h = await started(
        harness({ sources: [{ path: dir, recursive: true }] }, { loseEvents: lost }),
      );
      // In an existing directory with other files arriving, and in a new directory.
      const files = [
        path.join(dir, 'a.bin'),
        path.join(dir, 'b.lost'),
        path.join(dir, 'sub', 'c.lost'),
        path.join(dir, 'sub', 'd.bin'),
      ];
      for (const f of files) await writeFile(f, Buffer.alloc(1000, 1));
      await mkdir(path.join(dir, 'new'));
      const late = path.join(dir, 'new', 'e.lost');
      await writeFile(late, Buffer.alloc(10, 2));
      await mkdir(path.join(dir, 'gone.lost', 'x'), { recursive: true });
      const hidden = path.join(dir, 'gone.lost', 'x', 'y.bin');
      await writeFile(hidden, Buffer.alloc(20, 3));
      files.push(hidden);
      for (const f of [...files, late]) await waitFor(f, () => h.reportsOf(f).length > 0);
      await delay(3_000); // a recheck later: still once each
      for (const f of [...files, late]) assert.equal(h.reportsOf(f).length, 1, f);
      assert.equal(h.reportsOf(late)[0]?.size, 10);
    },
  );

  it(
    'write-to-temp-then-rename reports the final name with the full size',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      const h = await started(harness({ sources: [{ path: dir, recursive: true }] }));
      const temp = path.join(dir, 'backup.tar.part');
      const final = path.join(dir, 'backup.tar');
      await writeFile(temp, Buffer.alloc(100_000, 1));
      await appendFile(temp, Buffer.alloc(50_000, 2));
      await rename(temp, final);
      await waitFor('the renamed file', () => h.reportsOf(final).length > 0);
      assert.equal(h.reportsOf(final)[0]?.size, 150_000);
      assert.equal(h.reportsOf(final)[0]?.relPath, 'backup.tar');
    },
  );

  it(
    'finds files created while it was closed with the startup scan, in subdirectories too',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      const first = harness({ sources: [{ path: dir, recursive: true }] });
      await first.source.start();
      await first.source.close();
      await mkdir(path.join(dir, 'sub'));
      await writeFile(path.join(dir, 'offline-1.txt'), 'one');
      await writeFile(path.join(dir, 'sub', 'offline-2.txt'), 'two');
      const h = await started(harness({ sources: [{ path: dir, recursive: true }] }));
      await waitFor('both offline files', () => h.finished.length >= 2);
      assert.deepEqual(h.finished.map((f) => f.relPath).sort(), [
        'offline-1.txt',
        'sub/offline-2.txt',
      ]);
      assert.deepEqual(first.finished, []);
    },
  );

  it(
    "mode 'scan' finds files only through rescans (rescanNow, then the interval)",
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      const h = await started(
        harness({ sources: [{ path: dir, recursive: true }], mode: 'scan', settle: 300 }),
      );
      const a = path.join(dir, 'a.dat');
      await writeFile(a, 'a');
      await delay(2_000); // no watcher: nothing may notice it yet
      assert.deepEqual(h.finished, []);
      await h.source.rescanNow();
      await waitFor('a.dat after rescanNow()', () => h.reportsOf(a).length === 1);

      const dir2 = await newDir();
      const h2 = await started(
        harness({
          sources: [{ path: dir2, recursive: true }],
          mode: 'scan',
          settle: 300,
          rescanInterval: 500,
        }),
      );
      const b = path.join(dir2, 'b.dat');
      await writeFile(b, 'b');
      await waitFor('b.dat from the periodic rescan', () => h2.reportsOf(b).length > 0);
    },
  );

  it(
    'non-recursive sources ignore subdirectories, by events and by scans',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      await mkdir(path.join(dir, 'nested'));
      await writeFile(path.join(dir, 'nested', 'before.txt'), 'x');
      const h = await started(harness({ sources: [{ path: dir, recursive: false }], settle: 300 }));
      await writeFile(path.join(dir, 'nested', 'after.txt'), 'x');
      await writeFile(path.join(dir, 'top.txt'), 'x');
      await waitFor('top.txt', () => h.finished.length > 0);
      await h.source.rescanNow();
      await delay(1_500);
      assert.deepEqual([...new Set(h.finished.map((f) => f.relPath))], ['top.txt']);
    },
  );

  it(
    'reports a missing source directory and picks it up, watcher included, once it appears',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = path.join(tmp.path, 'appears-later');
      const h = await started(harness({ sources: [{ path: dir, recursive: true }], settle: 300 }));
      assert.equal(h.problems.length, 1);
      const problem = h.problems[0]!;
      assert.equal(problem.path, dir);
      assert.match(problem.message, /does not exist.*checked again at each rescan/);

      await mkdir(dir);
      await writeFile(path.join(dir, 'first.txt'), '1');
      await h.source.rescanNow();
      await waitFor(
        'first.txt after the rescan',
        () => h.reportsOf(path.join(dir, 'first.txt')).length > 0,
      );

      // no more rescans for an hour: this one can only come from the watcher created on the rescan
      const second = path.join(dir, 'second.txt');
      await writeFile(second, '2');
      await waitFor('second.txt from the new watcher', () => h.reportsOf(second).length > 0);
      assert.equal(h.problems.length, 1, JSON.stringify(h.problems));
    },
  );

  it(
    'a source directory replaced by another one is watched again',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      const h = await started(harness({ sources: [{ path: dir, recursive: true }], settle: 300 }));
      // rename(2) over an empty directory swaps it atomically: no moment without a directory
      const replacement = `${dir}.new`;
      await mkdir(replacement);
      await writeFile(path.join(replacement, 'early.txt'), 'e');
      await rename(replacement, dir);
      const early = path.join(dir, 'early.txt');
      await waitFor('early.txt (the rescan after the swap)', () => h.reportsOf(early).length > 0);
      // no periodic rescan for an hour: only a watcher on the new directory can see this one
      const late = path.join(dir, 'late.txt');
      await writeFile(late, 'l');
      await waitFor('late.txt from the new watcher', () => h.reportsOf(late).length > 0);
      assert.deepEqual(h.problems, []);
    },
  );

  it(
    'a source given as a symbolic link to a directory reports paths under the link',
    { timeout: TEST_TIMEOUT },
    async () => {
      const real = await newDir();
      const link = `${real}.link`;
      await symlink(real, link);
      const h = await started(harness({ sources: [{ path: link, recursive: true }], settle: 300 }));
      await mkdir(path.join(real, 'sub'));
      await writeFile(path.join(real, 'sub', 'via-link.txt'), 'v');
      const expected = path.join(link, 'sub', 'via-link.txt');
      await waitFor('via-link.txt', () => h.reportsOf(expected).length > 0);
      assert.equal(h.reportsOf(expected)[0]!.relPath, 'sub/via-link.txt');
      assert.equal(h.reportsOf(expected)[0]!.root, link);
      assert.deepEqual(h.problems, []);
    },
  );

  it(
    'close() waits for in-flight work and nothing is reported afterwards',
    { timeout: TEST_TIMEOUT },
    async () => {
      const dir = await newDir();
      let inFlight = 0;
      let done = 0;
      const source = new JobSource({
        job: {
          name: 'slow',
          sources: [{ path: dir, recursive: true }],
          mode: 'watch',
          rescanInterval: HOUR,
          settle: 100,
        },
        clock: systemClock,
        watcherFactory: chokidarWatcherFactory(),
        stat: statSourceFile,
        onFinished: async () => {
          inFlight += 1;
          await delay(500);
          inFlight -= 1;
          done += 1;
        },
        onError: () => undefined,
      });
      await writeFile(path.join(dir, 'x.txt'), 'x');
      await source.start();
      await waitFor('onFinished to start', () => inFlight > 0);
      await source.close();
      assert.equal(inFlight, 0);
      assert.equal(done, 1);
      await writeFile(path.join(dir, 'y.txt'), 'y');
      await delay(1_000);
      assert.equal(done, 1);
    },
  );
});
