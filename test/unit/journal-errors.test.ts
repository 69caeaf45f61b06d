/**
 * The shared journal error mapping (src/journal/journal-errors.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import {
  classifyJournalFailure,
  toJournalError,
  type JournalFailure,
} from '../../src/journal/journal-errors.js';

const withCode = (code: string, message = 'driver says no'): Error =>
  Object.assign(new Error(message), { code });

void describe('journal errors', () => {
  void it('classifies SQLite, PostgreSQL and Node codes', () => {
    const table: [string, JournalFailure][] = [
      ['SQLITE_BUSY', 'locked'],
      ['SQLITE_BUSY_SNAPSHOT', 'locked'],
      ['SQLITE_LOCKED_SHAREDCACHE', 'locked'],
      ['SQLITE_CORRUPT', 'corrupt'],
      ['SQLITE_CORRUPT_INDEX', 'corrupt'],
      ['SQLITE_NOTADB', 'corrupt'],
      ['SQLITE_FULL', 'full'],
      ['SQLITE_READONLY_DBMOVED', 'readonly'],
      ['SQLITE_CANTOPEN', 'unreachable'],
      ['SQLITE_CONSTRAINT_CHECK', 'other'],
      ['55P03', 'locked'],
      ['XX001', 'corrupt'],
      ['08006', 'unavailable'],
      ['57P01', 'unavailable'],
      ['ECONNREFUSED', 'unavailable'],
      ['ECONNRESET', 'unavailable'],
      ['28P01', 'auth'],
      ['28000', 'auth'],
      ['3D000', 'missing'],
      ['ENOSPC', 'full'],
      ['EACCES', 'readonly'],
    ];
    for (const [code, failure] of table)
      assert.equal(classifyJournalFailure(withCode(code)), failure, code);
    assert.equal(classifyJournalFailure(new Error('no code')), 'other');
    assert.equal(classifyJournalFailure('a string'), 'other');
  });

  void it('maps to AppError codes with the journal named and a backend hint', () => {
    const ctx = {
      backend: 'sqlite',
      location: '/var/lib/s3ferry/journal.db',
      operation: 'recordPart',
    } as const;
    const locked = toJournalError(withCode('SQLITE_BUSY', 'database is locked'), ctx);
    assert.equal(locked.code, 'ERR_JOURNAL_LOCKED');
    assert.match(locked.message, /\/var\/lib\/s3ferry\/journal\.db/);
    assert.match(locked.message, /recordPart: database is locked/);
    assert.match(locked.hint ?? '', /another s3ferry process holds the journal/);
    assert.equal(locked.details['driverCode'], 'SQLITE_BUSY');
    const corrupt = toJournalError(withCode('SQLITE_NOTADB'), ctx);
    assert.equal(corrupt.code, 'ERR_JOURNAL_CORRUPT');
    assert.match(corrupt.hint ?? '', /move it aside/);
    const pg = toJournalError(withCode('55P03'), {
      ...ctx,
      backend: 'postgres',
      location: 'db.example:5432/s3ferry',
    });
    assert.equal(pg.code, 'ERR_JOURNAL_LOCKED');
    assert.match(pg.hint ?? '', /pg_stat_activity/);
    assert.equal(toJournalError(new TypeError('boom'), ctx).code, 'ERR_JOURNAL');
    const gone = toJournalError(withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), {
      ...ctx,
      backend: 'postgres',
      location: 'postgres://s3ferry@127.0.0.1:5432/s3ferry',
      retriedMs: 60_000,
    });
    assert.equal(gone.code, 'ERR_JOURNAL_UNAVAILABLE');
    assert.match(
      gone.message,
      /cannot be reached: .*ECONNREFUSED 127\.0\.0\.1:5432; gave up after 60 s\)$/,
    );
    assert.match(gone.hint ?? '', /PostgreSQL runs/);
  });

  void it('passes AppErrors through unchanged', () => {
    const original = new AppError('ERR_CANCELLED', 'stop');
    assert.equal(
      toJournalError(original, { backend: 'sqlite', location: 'x', operation: 'y' }),
      original,
    );
  });
});
