/**
 * The control service on the journal (the CLI's when no agent answers), on a real SQLite journal
 * and no S3 server: the status it can give, pause and resume kept in the journal (with the note of
 * a resume that moves nothing), retry that says why nothing was released, the queue sections, and
 * the refusals of what needs the agent. The HTTP and agent sides are covered end to end
 * (e2e/agent-cli, e2e/agent-control).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { JournalControl } from '../../src/control/journal-control.js';
import { isAppError } from '../../src/errors/app-error.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { fileFor, reach } from '../conformance/journal-conformance-support.js';

const CONFIG = parseConfig(
  `jobs:
  - { name: cams, sources: [/srv/cams], destination: { bucket: b, endpoint: 'http://127.0.0.1:9' } }
  - { name: docs, sources: [/srv/docs], destination: { bucket: b, endpoint: 'http://127.0.0.1:9' } }
`,
  'test.yaml',
);

async function withControl(
  fn: (control: JournalControl, journal: SqliteJournalStore) => Promise<void>,
  withConfig = true,
): Promise<void> {
  const journal = await SqliteJournalStore.open({ path: ':memory:' });
  const control = new JournalControl({
    journal,
    journalName: '/var/lib/s3ferry/journal.db',
    config: withConfig ? CONFIG : undefined,
    clock: { now: () => 1_000, sleep: () => Promise.resolve() },
    noAgent: 'no s3ferry agent answers at http://127.0.0.1:7317',
    buildTarget: () => {
      throw new Error('no store in this test');
    },
  });
  try {
    await fn(control, journal);
  } finally {
    await control.close();
  }
}

/** Rejects with an AppError of `code`, and gives it to `check`. */
async function rejectsWith(
  p: Promise<unknown>,
  code: string,
  check: (message: string, hint: string) => void = () => undefined,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAppError(err), String(err));
    assert.equal(err.code, code, err.message);
    check(err.message, err.hint ?? '');
    return true;
  });
}

void describe('JournalControl', () => {
  void it('status: the configured jobs with their switches, the file counts, not running', () =>
    withControl(async (control, journal) => {
      await journal.enqueue(fileFor({ job: 'cams', path: '/srv/cams/a' }), 1);
      await control.pause('docs');
      assert.deepEqual(await control.status(), {
        running: false,
        journal: '/var/lib/s3ferry/journal.db',
        paused: false,
        jobs: [
          { name: 'cams', paused: false },
          { name: 'docs', paused: true },
        ],
        files: { ...(await journal.countFiles()), queued: 1 },
      });
      assert.deepEqual(control.source, { kind: 'journal', journal: '/var/lib/s3ferry/journal.db' });
    }));

  void it('pause and resume live in the journal; resuming a job while all is paused says so', () =>
    withControl(async (control, journal) => {
      const all = await control.pause();
      assert.deepEqual(all, { paused: true, pauses: { all: true, jobs: [] } });
      const job = await control.resume('cams');
      assert.equal(job.paused, false);
      assert.match(job.note ?? '', /^all processing is paused: no file of job cams goes until/);
      assert.deepEqual(await journal.pauses(), { all: true, jobs: [] });
      const back = await control.resume();
      assert.equal(back.note, undefined);
      assert.deepEqual(back.pauses, { all: false, jobs: [] });
      const events = await journal.listEvents({ limit: 10 });
      assert.deepEqual(
        events.map((e) => e.type),
        ['agent.resumed', 'job.resumed', 'agent.paused'],
      );
      await rejectsWith(control.pause('nope'), 'ERR_USAGE', (m) => {
        assert.equal(m, 'no job named nope');
      });
    }));

  void it('without a configuration, the jobs are those the journal knows', () =>
    withControl(async (control, journal) => {
      await journal.enqueue(fileFor({ job: 'cams', path: '/x' }), 1);
      assert.equal((await control.pause('cams')).paused, true);
      await rejectsWith(control.pause('docs'), 'ERR_USAGE', (_m, hint) => {
        assert.match(hint, /the journal knows cams; give --config/);
      });
      await rejectsWith(control.link({ key: 'k' }), 'ERR_USAGE', (m) => {
        assert.match(m, /no configuration names the destinations/);
      });
    }, false));

  void it('retry releases parked and waiting files; one that is not there or not waiting is an error', () =>
    withControl(async (control, journal) => {
      const parked = await reach(journal, 'parked', 10, { job: 'cams', path: '/p' });
      const done = await reach(journal, 'done', 10, { job: 'cams', path: '/d' });
      await rejectsWith(control.retry(done.file.id), 'ERR_FILE_NOT_RETRYABLE', (m, hint) => {
        assert.match(m, /^file #\d+ \(\/d\) is done, not parked or waiting/);
        assert.match(hint, /s3ferry link/);
      });
      await rejectsWith(control.retry(999), 'ERR_FILE_UNKNOWN', (m) => {
        assert.equal(m, 'there is no file #999 in the journal');
      });
      assert.deepEqual(await control.retry(parked.file.id), { released: 1 });
      assert.equal((await journal.getFile(parked.file.id))?.state, 'queued');
      assert.deepEqual(await control.retry(), { released: 0 }, 'nothing left: not an error');
    }));

  void it('queue: each section asked for, skipped files with their reason', () =>
    withControl(async (control, journal) => {
      await reach(journal, 'skipped', 10, { job: 'cams', path: '/s' });
      await journal.enqueue(fileFor({ job: 'docs', path: '/q' }), 20);
      const view = await control.queue({ sections: ['pending', 'skipped'], limit: 10 });
      assert.deepEqual(
        view.pending?.items.map((f) => f.path),
        ['/q'],
      );
      assert.deepEqual(
        view.skipped?.items.map((f) => [f.path, f.state]),
        [['/s', 'skipped']],
      );
      assert.equal(view.parked, undefined, 'only what was asked');
      const docs = await control.queue({ sections: ['pending'], job: 'cams', limit: 10 });
      assert.equal(docs.pending?.total, 0);
    }));

  void it('what needs the running agent is refused, saying so', () =>
    withControl(async (control) => {
      for (const [p, command] of [
        [control.transfers(), 'transfers'],
        [control.reload(), 'reload'],
        [control.backfill(), 'backfill'],
      ] as const)
        await rejectsWith(p, 'ERR_USAGE', (m) => {
          assert.equal(
            m,
            `no s3ferry agent answers at http://127.0.0.1:7317: \`s3ferry ${command}\` needs one`,
          );
        });
    }));
});
