/**
 * classifyFailure (src/agent/classify-failure.ts): each row of the table, without an S3 server or
 * a journal, and every error code of codes.ts lands on exactly one row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FILE_BACKOFF,
  classifyFailure,
  type FailureAction,
} from '../../src/agent/classify-failure.js';
import { backoffDelay } from '../../src/domain/backoff.js';
import { AppError } from '../../src/errors/app-error.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/codes.js';

const FILE = { id: 42, attempts: 0 };

function classify(code: ErrorCode, hint?: string, file = FILE, jitter = 0.5): FailureAction {
  const err = new AppError(code, `${code} happened`, hint === undefined ? {} : { hint });
  return classifyFailure(err, file, jitter);
}

void describe('classifyFailure', () => {
  void it('ERR_JOURNAL*: the caller waits for the journal, then gives the file back', () => {
    for (const code of [
      'ERR_JOURNAL',
      'ERR_JOURNAL_LOCKED',
      'ERR_JOURNAL_CORRUPT',
      'ERR_JOURNAL_UNAVAILABLE',
    ] as const)
      assert.deepEqual(classify(code), { kind: 'await-journal' }, code);
  });

  void it('ERR_LEASE_LOST: nothing (another agent holds the file)', () => {
    assert.deepEqual(classify('ERR_LEASE_LOST'), { kind: 'none' });
  });

  void it('cancelled: released, with the reason', () => {
    assert.deepEqual(classify('ERR_CANCELLED', 'run again'), {
      kind: 'release',
      reason: { code: 'ERR_CANCELLED', message: 'ERR_CANCELLED happened', hint: 'run again' },
    });
  });

  void it('ERR_FILE_CHANGED: it settles again', () => {
    const a = classify('ERR_FILE_CHANGED', 'wait');
    assert.ok(a.kind === 'resettle');
    assert.equal(a.reason.code, 'ERR_FILE_CHANGED');
  });

  void it('ERR_S3_PRECONDITION_FAILED: skipped, the key holds another writer’s object', () => {
    assert.deepEqual(classify('ERR_S3_PRECONDITION_FAILED', 'another key'), {
      kind: 'skip',
      reason: { code: 'exists', message: 'ERR_S3_PRECONDITION_FAILED happened', hint: null },
    });
  });

  void it('ERR_JOB_REMOVED: cancelled, its job is gone', () => {
    assert.deepEqual(classify('ERR_JOB_REMOVED'), {
      kind: 'cancel',
      reason: { code: 'job-removed', message: 'ERR_JOB_REMOVED happened', hint: null },
    });
  });

  void it('permanent: parked; the hint keeps the error’s fix and names `s3ferry retry ID`', () => {
    const a = classify('ERR_FILE_UNREADABLE', 'chmod it');
    assert.ok(a.kind === 'park');
    assert.equal(a.reason.code, 'ERR_FILE_UNREADABLE');
    assert.match(a.reason.hint ?? '', /^chmod it; then `s3ferry retry 42` releases it/);
    const bare = classify('ERR_KEY_INVALID');
    assert.ok(bare.kind === 'park');
    assert.match(bare.reason.hint ?? '', /^fix the file, then `s3ferry retry 42`/);
    for (const code of ['ERR_FILE_NOT_FOUND', 'ERR_FILE_TOO_LARGE', 'ERR_VERIFY_FAILED'] as const)
      assert.equal(classify(code).kind, 'park', code);
  });

  void it('ERR_S3_ENDPOINT_UNREACHABLE and a fatal S3 error: wait now, destination unhealthy', () => {
    for (const code of [
      'ERR_S3_ENDPOINT_UNREACHABLE',
      'ERR_S3_ACCESS_DENIED',
      'ERR_S3_NO_SUCH_BUCKET',
      'ERR_S3_TLS_UNTRUSTED',
    ] as const) {
      const a = classify(code);
      assert.ok(a.kind === 'defer', code);
      assert.equal(a.delayMs, 0, code);
      assert.equal(a.unhealthy, true, code);
      assert.equal(a.reason.code, code);
    }
  });

  void it('another fatal error (a bug, the local setup): parked, it needs a person', () => {
    for (const code of ['ERR_INTERNAL', 'ERR_ILLEGAL_TRANSITION', 'ERR_CONFIG_INVALID'] as const)
      assert.equal(classify(code).kind, 'park', code);
  });

  void it('transient: waits by backoff(attempts + 1) with the injected jitter, capped', () => {
    for (const [attempts, jitter] of [
      [0, 0],
      [0, 0.99],
      [3, 0.5],
      [40, 0.5],
    ] as const) {
      const a = classify('ERR_S3_SERVER', undefined, { id: 1, attempts }, jitter);
      assert.ok(a.kind === 'defer');
      assert.equal(a.delayMs, backoffDelay(attempts + 1, jitter, FILE_BACKOFF));
      assert.equal(a.unhealthy, false);
      assert.ok(a.delayMs <= FILE_BACKOFF.capMs);
    }
    const first = classify('ERR_NETWORK', undefined, { id: 1, attempts: 0 }, 0.99);
    const later = classify('ERR_NETWORK', undefined, { id: 1, attempts: 5 }, 0.99);
    assert.ok(first.kind === 'defer' && later.kind === 'defer' && later.delayMs > first.delayMs);
  });

  void it('every error code lands on one row', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const a = classify(code);
      const kind = ERROR_CODES[code].kind;
      if (code.startsWith('ERR_JOURNAL')) assert.equal(a.kind, 'await-journal', code);
      else if (kind === 'cancelled') assert.ok(['none', 'release'].includes(a.kind), code);
      else if (kind === 'transient') assert.equal(a.kind, 'defer', code);
      else assert.ok(['park', 'defer', 'skip', 'cancel', 'resettle'].includes(a.kind), code);
    }
  });
});
