/** The agent lock of a SQLite journal (src/platform/agent-lock.ts), on real files and processes. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acquireAgentLock } from '../../src/platform/agent-lock.js';
import { isAppError } from '../../src/errors/app-error.js';
import { makeTmpDir } from '../support/tmp.js';

describe('agent lock', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await makeTmpDir('agent-lock');
  });
  after(() => tmp.cleanup());
  const me = { pid: process.pid, hostname: 'host-a', now: 1000 };

  it('is taken, creating the journal directory, and released by its holder only', () => {
    const journal = join(tmp.path, 'new-dir', 'journal.db');
    const lock = acquireAgentLock(journal, me);
    assert.equal(lock.path, `${journal}.agent-lock`);
    assert.deepEqual(JSON.parse(readFileSync(lock.path, 'utf8')), {
      pid: process.pid,
      hostname: 'host-a',
      startedAt: 1000,
    });
    lock.release();
    assert.equal(existsSync(lock.path), false);
  });

  it('refuses a second agent while the holder (a live node process) runs', () => {
    const journal = join(tmp.path, 'held.db');
    // The test runner that started this process is a live node process: it plays the holder.
    const holder = { pid: process.ppid, hostname: 'host-a', startedAt: 5 };
    writeFileSync(`${journal}.agent-lock`, JSON.stringify(holder));
    assert.throws(
      () => acquireAgentLock(journal, me),
      (err: unknown) =>
        isAppError(err, 'ERR_JOURNAL_LOCKED') &&
        err.message.includes(`another s3ferry agent (pid ${process.ppid}`) &&
        err.message.includes(journal) &&
        (err.hint ?? '').includes('stop that agent first'),
    );
    assert.deepEqual(JSON.parse(readFileSync(`${journal}.agent-lock`, 'utf8')), holder);
  });

  it('takes over the lock of a dead agent, or a torn lock file', () => {
    for (const [name, content] of [
      ['dead.db', JSON.stringify({ pid: 2 ** 22 + 12345, hostname: 'host-a', startedAt: 5 })],
      ['torn.db', '{"pid": 12'],
    ] as const) {
      const journal = join(tmp.path, name);
      writeFileSync(`${journal}.agent-lock`, content);
      const lock = acquireAgentLock(journal, me);
      const written = JSON.parse(readFileSync(lock.path, 'utf8')) as { pid: number };
      assert.equal(written.pid, process.pid, name);
      lock.release();
    }
  });

  it("never takes over another host's lock: it names the file to delete", () => {
    const journal = join(tmp.path, 'nfs.db');
    writeFileSync(
      `${journal}.agent-lock`,
      JSON.stringify({ pid: 2 ** 22 + 1, hostname: 'host-b', startedAt: 5 }),
    );
    assert.throws(
      () => acquireAgentLock(journal, me),
      (err: unknown) =>
        isAppError(err, 'ERR_JOURNAL_LOCKED') &&
        err.message.includes('on host host-b') &&
        (err.hint ?? '').includes(`delete ${journal}.agent-lock`),
    );
  });
});
