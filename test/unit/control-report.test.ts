/**
 * The report (control/report.ts) on a real SQLite journal, and how `s3ferry report` writes it
 * (cli/report-format.ts, cli/report-command.ts): every file uploaded, skipped, parked or failed
 * in the window, in time order, each once (a parked file with its failed upload is one row), the
 * same rows whatever the page size; CSV that an RFC 4180 reader reads back to the same fields
 * whatever the names hold (commas, quotes, newlines, U+FFFD); the window's options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportFromJournal, type ReportRow } from '../../src/control/report.js';
import { reportQuery } from '../../src/cli/report-command.js';
import {
  csvField,
  csvHeader,
  csvLine,
  jsonRow,
  printable,
  tableLine,
} from '../../src/cli/report-format.js';
import { isAppError } from '../../src/errors/app-error.js';
import type { HistoryEntry, JournalStore } from '../../src/journal/journal-store.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { fileFor, historyFor } from '../conformance/journal-conformance-support.js';

const T0 = Date.parse('2026-12-06T00:00:00Z');
const MIN = 60_000;
const OWNER = 'report:1';

/** A file of `job` at `path` claimed at `at`, and its hold. */
async function claimed(journal: JournalStore, job: string, path: string, at: number) {
  const { file } = await journal.enqueue(fileFor({ job, path, size: 42 }), at);
  const got = await journal.claim(at, { owner: OWNER, leaseMs: 3_600_000 }, [job]);
  assert.equal(got?.id, file.id);
  return { fileId: file.id, owner: OWNER };
}

/** A journal holding one of each outcome, at known times (minutes after T0). */
async function filled(journal: JournalStore): Promise<void> {
  const done = (over: Partial<HistoryEntry>) => journal.addHistory(historyFor(over));
  await done({
    job: 'cams',
    sourcePath: '/in/a,b "c".mp4',
    key: 'a,b "c".mp4',
    versionId: 'v1',
    startedAt: T0 + MIN - 500,
    finishedAt: T0 + MIN,
  });
  await done({
    job: 'cams',
    sourcePath: '/in/line\nbreak.mp4',
    key: 'line\nbreak.mp4',
    finishedAt: T0 + 5 * MIN,
  });
  await done({
    job: 'docs',
    sourcePath: '/in/\uFFFD.txt',
    key: '\uFFFD.txt',
    finishedAt: T0 + 3 * MIN,
  });
  await done({
    sourcePath: '/tmp/one-shot',
    key: 'x',
    result: 'failed',
    size: 0,
    etag: null,
    error: 'ERR_S3_ACCESS_DENIED: no',
    finishedAt: T0 + 4 * MIN,
  });
  // outside the window: before and after
  await done({ job: 'cams', sourcePath: '/in/old', finishedAt: T0 - 1 });
  await done({ job: 'cams', sourcePath: '/in/late', finishedAt: T0 + 60 * MIN });
  // skipped (no upload) at 2 min
  const s = await claimed(journal, 'cams', '/in/dup.mp4', T0 + 2 * MIN - 10);
  await journal.skip(s, T0 + 2 * MIN, {
    reason: { code: 'duplicate', message: 'same content as s3://b/a.mp4', hint: null },
  });
  // parked after its upload began: the history's failed row and the file are one outcome (6 min)
  const p = await claimed(journal, 'cams', '/in/bad.mp4', T0 + 6 * MIN - 10);
  const reason = { code: 'ERR_FILE_UNREADABLE', message: 'EACCES', hint: 'chmod it' };
  await journal.park(p, T0 + 6 * MIN, {
    reason,
    history: historyFor({
      job: 'cams',
      sourcePath: '/in/bad.mp4',
      key: 'bad.mp4',
      result: 'failed',
      size: 0,
      etag: null,
      checksum: null,
      error: 'ERR_FILE_UNREADABLE: EACCES',
      startedAt: T0 + 6 * MIN - 5,
      finishedAt: T0 + 6 * MIN,
    }),
  });
  // parked before any upload (7 min)
  const q = await claimed(journal, 'docs', '/in/nokey', T0 + 7 * MIN - 10);
  await journal.park(q, T0 + 7 * MIN, {
    reason: { code: 'ERR_KEY_INVALID', message: 'empty key', hint: 'fix the template' },
  });
}

async function withJournal(fn: (journal: JournalStore) => Promise<void>): Promise<void> {
  const journal = await SqliteJournalStore.open({ path: ':memory:' });
  try {
    await filled(journal);
    await fn(journal);
  } finally {
    await journal.close();
  }
}

/** Every row of the report, page by page. */
async function all(journal: JournalStore, limit: number, job?: string): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await reportFromJournal(journal, {
      since: T0,
      until: T0 + 60 * MIN,
      limit,
      ...(job === undefined ? {} : { job }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    rows.push(...page.items);
    cursor = page.next ?? undefined;
    pages += 1;
    assert.ok(pages < 100, 'the pages end');
  } while (cursor !== undefined);
  return rows;
}

/** A small RFC 4180 reader: records of fields, CRLF line ends, quoted fields with "" inside. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const at = text.indexOf('"', i);
        assert.ok(at >= 0, 'a quoted field ends');
        field += text.slice(i, at);
        i = at + 1;
        if (text[i] !== '"') break;
        field += '"';
        i += 1;
      }
    } else if (text.startsWith('\r\n', i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (text[i] === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else {
      assert.ok(text[i] !== '\n' && text[i] !== '\r', `a bare line break at ${i}`);
      field += text.charAt(i);
      i += 1;
    }
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  return records;
}

void describe('the report', () => {
  void it('lists every outcome in the window once, in time order', () =>
    withJournal(async (journal) => {
      const rows = await all(journal, 1000);
      assert.deepEqual(
        rows.map((r) => [r.outcome, r.path, (r.finishedAt - T0) / MIN]),
        [
          ['uploaded', '/in/a,b "c".mp4', 1],
          ['skipped', '/in/dup.mp4', 2],
          ['uploaded', '/in/\uFFFD.txt', 3],
          ['failed', '/tmp/one-shot', 4],
          ['uploaded', '/in/line\nbreak.mp4', 5],
          ['parked', '/in/bad.mp4', 6],
          ['parked', '/in/nokey', 7],
        ],
      );
      const [first, skipped] = rows;
      assert.equal(first?.versionId, 'v1');
      assert.equal(first.sha256, historyFor().checksum?.slice('sha256:'.length));
      assert.equal(first.bytesPerSec, historyFor().avgBytesPerSec);
      assert.equal(first.startedAt, T0 + MIN - 500);
      assert.equal(skipped?.reason, 'duplicate: same content as s3://b/a.mp4');
      assert.equal(skipped.size, 42);
      const parked = rows[5];
      assert.equal(parked?.key, 'bad.mp4', 'the parked upload is the history row, with its key');
      assert.equal(parked.reason, 'ERR_FILE_UNREADABLE: EACCES');
      assert.equal(parked.size, null);
      assert.equal(rows[6]?.reason, 'ERR_KEY_INVALID: empty key');
    }));

  void it('gives the same rows whatever the page size, and by job', () =>
    withJournal(async (journal) => {
      const whole = await all(journal, 1000);
      for (const limit of [1, 2, 3, 5])
        assert.deepEqual(await all(journal, limit), whole, `pages of ${limit}`);
      assert.deepEqual(
        (await all(journal, 2, 'cams')).map((r) => r.path),
        ['/in/a,b "c".mp4', '/in/dup.mp4', '/in/line\nbreak.mp4', '/in/bad.mp4'],
      );
      await assert.rejects(
        reportFromJournal(journal, { since: T0, until: T0 + 1, limit: 1, cursor: 'x' }),
        (err) => isAppError(err, 'ERR_USAGE'),
      );
    }));

  void it('CSV is RFC 4180: read back, every field is what the journal holds', () =>
    withJournal(async (journal) => {
      const rows = await all(journal, 1000);
      const text = csvHeader() + rows.map(csvLine).join('');
      const [header, ...records] = parseCsv(text);
      assert.deepEqual(header, [
        'outcome',
        'job',
        'path',
        'bucket',
        'key',
        'version_id',
        'size',
        'etag',
        'sha256',
        'started',
        'finished',
        'bytes_per_sec',
        'reason',
      ]);
      assert.equal(records.length, rows.length);
      records.forEach((rec, i) => {
        const row = rows[i]!;
        assert.equal(rec.length, 13);
        assert.equal(rec[2], row.path, 'the path, commas, quotes, newlines and U+FFFD as they are');
        assert.equal(rec[4], row.key ?? '');
        assert.equal(rec[5], row.versionId ?? '');
        assert.equal(rec[10], new Date(row.finishedAt).toISOString());
        assert.equal(rec[12], row.reason ?? '');
      });
      assert.equal(csvField('plain'), 'plain');
      assert.equal(csvField('a,b'), '"a,b"');
      assert.equal(csvField('say "hi"'), '"say ""hi"""');
      assert.equal(csvField('cr\rlf\n'), '"cr\rlf\n"');
      assert.equal(csvField(null), '');
      assert.equal(csvField(12), '12');
    }));

  void it('JSON keeps the names; the table shows control characters as escapes, one row a line', () =>
    withJournal(async (journal) => {
      const rows = await all(journal, 1000);
      const json = JSON.parse(JSON.stringify(rows.map(jsonRow))) as Record<string, unknown>[];
      assert.equal(json[4]?.path, '/in/line\nbreak.mp4');
      assert.equal(json[0]?.finishedAt, new Date(T0 + MIN).toISOString());
      const line = tableLine(rows[4]!);
      assert.equal(line.split('\n').length, 2, 'one line');
      assert.match(line, /\/in\/line\\nbreak\.mp4/);
      assert.equal(printable('a\tb\u001b'), 'a\\tb\\x1b');
      assert.match(tableLine(rows[0]!), /s3:\/\/media\/a,b "c"\.mp4 \(version v1\)/);
    }));

  void it('--since and --until take durations back from now and times', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    assert.deepEqual(reportQuery({ since: '24h' }, now), {
      since: now - 86_400_000,
      until: now,
      limit: 1000,
    });
    assert.deepEqual(reportQuery({ since: '7d', until: '1d', job: 'cams' }, now), {
      since: now - 7 * 86_400_000,
      until: now - 86_400_000,
      limit: 1000,
      job: 'cams',
    });
    assert.deepEqual(reportQuery({ since: '2026-12-06', until: '2026-12-06T09:30:00Z' }, now), {
      since: Date.parse('2026-12-06T00:00:00Z'),
      until: Date.parse('2026-12-06T09:30:00Z'),
      limit: 1000,
    });
    for (const bad of [
      { since: 'yesterday' },
      { since: '1h', until: '2h' },
      { since: '24h', until: 'soon' },
    ]) {
      assert.throws(
        () => reportQuery(bad, now),
        (err) => isAppError(err, 'ERR_USAGE') && err.hint !== undefined,
        JSON.stringify(bad),
      );
    }
  });
});
