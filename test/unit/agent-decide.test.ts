/**
 * decide (src/agent/decide.ts): each branch, and the order between them, without an S3 server or
 * a journal: the facts are what the processor would have gathered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type Facts } from '../../src/agent/decide.js';
import type { Planned } from '../../src/agent/file-plan.js';
import { isAppError } from '../../src/errors/app-error.js';
import type { HistoryRecord, UploadRecord } from '../../src/journal/journal-store.js';

const PLANNED: Planned = {
  kind: 'plan',
  plan: { key: 'in/a.bin', mode: 'single', partSize: 10, checksum: 'sha256:ab', decidedAt: 1 },
  sha256: 'ab',
};

const UPLOAD = { id: 7, state: 'verified' } as unknown as UploadRecord;
const dup = (key: string) => ({ id: 3, key }) as unknown as HistoryRecord;

/** Facts of an unchanged, planned file under its source, with `over` replacing any. */
function facts(over: Partial<Facts> = {}): Facts {
  return {
    state: 'uploading',
    source: 'unchanged',
    underSource: true,
    planned: PLANNED,
    verified: undefined,
    duplicate: undefined,
    dedupeAction: 'skip',
    ...over,
  };
}

void describe('decide', () => {
  void it('upload: an unchanged, planned file with nothing in the way', () => {
    assert.deepEqual(decide(facts()), { kind: 'upload' });
    assert.deepEqual(decide(facts({ state: 'verifying' })), { kind: 'upload' });
  });

  void it('vanished before its upload: cancelled; in verifying: done by the agent that stopped', () => {
    const gone = { source: 'vanished', planned: undefined } as const;
    assert.deepEqual(decide(facts(gone)), { kind: 'vanished' });
    assert.deepEqual(decide(facts({ ...gone, state: 'verifying' })), {
      kind: 'taken-over-verified',
    });
    // Even out of its sources: what counts is that the source is gone.
    assert.deepEqual(decide(facts({ ...gone, underSource: false })), { kind: 'vanished' });
  });

  void it('changed since queued: settles again, whatever else is true', () => {
    for (const state of ['uploading', 'verifying'] as const)
      assert.deepEqual(
        decide(facts({ state, source: 'changed', underSource: false, planned: undefined })),
        { kind: 'changed' },
      );
  });

  void it('no longer under a source of its job: not-under-source (parked through the table)', () => {
    assert.deepEqual(decide(facts({ underSource: false, planned: undefined })), {
      kind: 'not-under-source',
    });
  });

  void it('the overwrite policy found the key taken: exists', () => {
    const planned: Planned = { kind: 'exists', key: 'in/a.bin', reason: 'it exists' };
    assert.deepEqual(decide(facts({ planned })), {
      kind: 'exists',
      key: 'in/a.bin',
      reason: 'it exists',
    });
  });

  void it('a verified upload of this version: already uploaded, before any dedupe', () => {
    assert.deepEqual(decide(facts({ verified: UPLOAD, duplicate: dup('other') })), {
      kind: 'already-uploaded',
      upload: UPLOAD,
    });
  });

  void it('a duplicate: skip, or copy unless it is at the plan’s own key', () => {
    assert.deepEqual(decide(facts({ duplicate: dup('other') })), {
      kind: 'duplicate-skip',
      duplicate: dup('other'),
    });
    assert.deepEqual(decide(facts({ duplicate: dup('other'), dedupeAction: 'copy' })), {
      kind: 'duplicate-copy',
      duplicate: dup('other'),
    });
    assert.deepEqual(decide(facts({ duplicate: dup('in/a.bin'), dedupeAction: 'copy' })), {
      kind: 'duplicate-skip',
      duplicate: dup('in/a.bin'),
    });
  });

  void it('an unchanged file under its source that was not planned: a bug (ERR_INTERNAL)', () => {
    assert.throws(
      () => decide(facts({ planned: undefined })),
      (err) => isAppError(err, 'ERR_INTERNAL'),
    );
  });
});
