/**
 * Conformance: the pause switches (kept in the journal: they survive a restart and stop the claims
 * of every store on the same journal) and the ctime rule of enqueue for parked files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalStore } from '../../src/journal/journal-store.js';
import {
  CLAIM,
  eventFor,
  fileFor,
  reach,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

/** Registers the pause and ctime tests. */
export function describePauses(make: MakeJournalStore): void {
  void describe('pause switches', () => {
    void it('a paused job is not claimed, others are; all paused: nothing is; resume', () =>
      withStore(make, async (store) => {
        assert.deepEqual(await store.pauses(), { all: false, jobs: [] });
        const { file: a } = await store.enqueue(fileFor({ job: 'j1', path: '/a' }), 100);
        const { file: b } = await store.enqueue(fileFor({ job: 'j2', path: '/b' }), 110);
        const event = eventFor({ type: 'job.paused', message: 'job j1 paused' });
        const change = await store.setPaused({ job: 'j1' }, true, 200, event);
        assert.deepEqual(change.pauses, { all: false, jobs: ['j1'] });
        assert.deepEqual(change.event, { ...event, id: change.event?.id });
        assert.deepEqual((await store.setPaused({ job: 'j1' }, true, 210)).pauses.jobs, ['j1']);
        assert.equal((await store.claim(300, CLAIM))?.id, b.id, 'j1 is skipped');
        assert.equal(await store.claim(300, CLAIM, ['j1']), undefined);
        await store.enqueue(fileFor({ job: 'j3', path: '/c' }), 120);
        await store.setPaused({}, true, 400);
        assert.deepEqual(await store.pauses(), { all: true, jobs: ['j1'] });
        assert.equal(await store.claim(500, CLAIM), undefined, 'everything is paused');
        assert.equal(await store.claim(500, CLAIM, ['j3']), undefined);
        await store.setPaused({}, false, 600);
        await store.setPaused({ job: 'j1' }, false, 600);
        assert.deepEqual(await store.pauses(), { all: false, jobs: [] });
        assert.equal((await store.claim(700, CLAIM, ['j1']))?.id, a.id);
      }));

    void it('an expired hold of a paused job is not taken over while paused', () =>
      withStore(make, async (store) => {
        const u = await reach(store, 'uploading', 100, { job: 'j1', path: '/u' }, 'dead');
        await store.expireHolds(200);
        await store.setPaused({ job: 'j1' }, true, 300);
        assert.equal(await store.claim(400, CLAIM), undefined);
        await store.setPaused({ job: 'j1' }, false, 500);
        assert.equal((await store.claim(600, CLAIM))?.id, u.file.id);
      }));

    void it('survive close and reopen', (t) =>
      withStore(make, async (store, fixture) => {
        if (fixture.reopen === undefined) {
          t.skip('this storage does not outlive its store');
          return;
        }
        await store.enqueue(fileFor(), 100);
        await store.setPaused({}, true, 200);
        await store.setPaused({ job: 'cams' }, true, 200);
        await store.close();
        const reopened = await fixture.reopen();
        try {
          assert.deepEqual(await reopened.pauses(), { all: true, jobs: ['cams'] });
          assert.equal(await reopened.claim(300, CLAIM), undefined);
        } finally {
          await reopened.close();
        }
      }));

    void it('a pause set through one store stops the claims of another on the same journal', (t) =>
      withStore(make, async (store, fixture) => {
        if (fixture.second === undefined) {
          t.skip('this storage cannot be shared');
          return;
        }
        const other: JournalStore = await fixture.second();
        try {
          await store.enqueue(fileFor({ path: '/a' }), 100);
          await store.enqueue(fileFor({ path: '/b' }), 110);
          await other.setPaused({}, true, 200);
          assert.equal(await store.claim(300, CLAIM), undefined, 'all paused, by the other store');
          await other.setPaused({}, false, 400);
          await other.setPaused({ job: 'cams' }, true, 400);
          assert.equal(await store.claim(500, CLAIM, ['cams']), undefined, 'its job paused');
          await store.setPaused({ job: 'cams' }, false, 600);
          assert.notEqual(await other.claim(700, CLAIM), undefined, 'resumed by the first');
        } finally {
          await other.close();
        }
      }));
  });

  void describe('enqueue and ctime (a parked file fixed in place)', () => {
    void it('queues a parked file again when its ctime changed, not when it did not', () =>
      withStore(make, async (store) => {
        const f = { path: '/p', job: 'j', ctimeMs: 1000.5 };
        const p = await reach(store, 'parked', 100, f);
        assert.equal(p.file.ctimeMs, 1000.5);
        const same = await store.enqueue(fileFor(f), 200);
        assert.deepEqual([same.file.state, same.queued], ['parked', false]);
        const fixed = await store.enqueue(fileFor({ ...f, ctimeMs: 2000.25 }), 300);
        assert.deepEqual(
          [fixed.file.state, fixed.queued, fixed.file.reason, fixed.file.ctimeMs],
          ['queued', true, null, 2000.25],
        );
        assert.equal(fixed.file.attempts, p.file.attempts, 'the same version: attempts kept');
      }));

    void it('a ctime change alone does not queue a done or skipped file again', () =>
      withStore(make, async (store) => {
        for (const state of ['done', 'skipped'] as const) {
          const f = { path: `/${state}`, job: 'j', ctimeMs: 10 };
          await reach(store, state, 100, f);
          const again = await store.enqueue(fileFor({ ...f, ctimeMs: 20 }), 200);
          assert.deepEqual([again.file.state, again.queued], [state, false]);
        }
      }));

    void it('a file known without a ctime learns it, and a later change of it counts', () =>
      withStore(make, async (store) => {
        const p = await reach(store, 'parked', 100, { path: '/old', job: 'j' });
        assert.equal(p.file.ctimeMs, null);
        const learnt = await store.enqueue(fileFor({ path: '/old', job: 'j', ctimeMs: 5 }), 200);
        assert.deepEqual([learnt.file.state, learnt.file.ctimeMs], ['parked', 5]);
        const fixed = await store.enqueue(fileFor({ path: '/old', job: 'j', ctimeMs: 6 }), 300);
        assert.equal(fixed.file.state, 'queued');
      }));
  });
}
