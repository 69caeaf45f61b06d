/** The agent lock of a SQLite journal: taken in a journal directory that does not exist yet. */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acquireAgentLock, readAgentLock } from '../../src/platform/agent-lock.js';
import { makeTmpDir } from '../support/tmp.js';

void describe('acquireAgentLock', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await makeTmpDir('agent-lock');
  });
  after(() => tmp.cleanup());

  void it("creates the journal's directory on a first run (the journal is opened after it)", async () => {
    const journal = join(tmp.path, '.s3ferry', 'journal.db');
    const lock = acquireAgentLock(journal, { pid: process.pid, hostname: hostname(), now: 0 });
    assert.equal(lock.path, `${journal}.agent-lock`);
    assert.ok((await stat(lock.path)).isFile());
    lock.release();
    await assert.rejects(stat(lock.path), /ENOENT/);
  });

  void it('names the API once it listens; readAgentLock finds the holder and whether it runs', async () => {
    const journal = join(tmp.path, 'api', 'journal.db');
    const here = hostname();
    assert.equal(readAgentLock(journal, here), undefined, 'no lock: nobody');
    const lock = acquireAgentLock(journal, { pid: process.pid, hostname: here, now: 5 });
    assert.deepEqual(readAgentLock(journal, here), {
      pid: process.pid,
      hostname: here,
      startedAt: 5,
      alive: true,
    });
    lock.announceApi('http://127.0.0.1:7999');
    assert.equal(readAgentLock(journal, here)?.apiUrl, 'http://127.0.0.1:7999');
    assert.equal((await stat(lock.path)).mode & 0o777, 0o600, 'still private');
    assert.equal(readAgentLock(journal, 'elsewhere')?.alive, undefined, 'another host: unknown');
    lock.release();
    assert.equal(readAgentLock(journal, here), undefined);
  });
});
