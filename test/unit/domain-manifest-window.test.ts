/**
 * The windows of manifests (domain/manifest-window.ts), driven by given times (the injected
 * clock's): UTC days and hours, when each falls due (after its close and the grace), the window
 * before it looked at again, and the keys they go to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MANIFEST_GRACE_MS,
  dueWindows,
  manifestKey,
  nextDueAt,
  windowAt,
} from '../../src/domain/manifest-window.js';

const t = (iso: string): number => Date.parse(iso);
const names = (ws: { name: string }[]): string[] => ws.map((w) => w.name);

void describe('manifest windows', () => {
  void it('a day is a UTC day, an hour a UTC hour: [start, end)', () => {
    const day = windowAt(t('2026-12-06T23:59:59.999Z'), 'daily');
    assert.deepEqual(day, {
      start: t('2026-12-06T00:00:00Z'),
      end: t('2026-12-07T00:00:00Z'),
      name: '2026-12-06',
    });
    assert.equal(windowAt(t('2026-12-07T00:00:00Z'), 'daily').name, '2026-12-07', 'end excluded');
    const hour = windowAt(t('2026-12-06T09:30:00Z'), 'hourly');
    assert.deepEqual(hour, {
      start: t('2026-12-06T09:00:00Z'),
      end: t('2026-12-06T10:00:00Z'),
      name: '2026-12-06T09',
    });
    assert.equal(windowAt(t('2028-02-29T12:00:00Z'), 'daily').name, '2028-02-29', 'leap day');
    assert.equal(windowAt(t('2026-12-31T23:00:00Z'), 'hourly').name, '2026-12-31T23');
  });

  void it('a window falls due once it closed and the grace passed, with the one before it', () => {
    const closed = t('2026-12-07T00:00:00Z');
    // before the grace has passed: the day before is the newest due
    assert.deepEqual(names(dueWindows(closed + MANIFEST_GRACE_MS - 1, 'daily')), [
      '2026-12-04',
      '2026-12-05',
    ]);
    assert.deepEqual(names(dueWindows(closed + MANIFEST_GRACE_MS, 'daily')), [
      '2026-12-05',
      '2026-12-06',
    ]);
    assert.deepEqual(names(dueWindows(t('2026-12-07T15:00:00Z'), 'daily')), [
      '2026-12-05',
      '2026-12-06',
    ]);
    assert.deepEqual(names(dueWindows(t('2026-12-06T10:01:00Z'), 'hourly')), [
      '2026-12-06T08',
      '2026-12-06T09',
    ]);
    assert.deepEqual(names(dueWindows(t('2027-01-01T00:01:00Z'), 'hourly')), [
      '2026-12-31T22',
      '2026-12-31T23',
    ]);
    assert.deepEqual(names(dueWindows(t('2026-12-06T10:00:30Z'), 'hourly', 0)), [
      '2026-12-06T08',
      '2026-12-06T09',
    ]);
  });

  void it('the next due time is the next close plus the grace, always after now', () => {
    const grace = MANIFEST_GRACE_MS;
    assert.equal(nextDueAt(t('2026-12-06T09:30:00Z'), 'hourly'), t('2026-12-06T10:00:00Z') + grace);
    // in the grace after a close: that close is still ahead
    assert.equal(nextDueAt(t('2026-12-06T10:00:30Z'), 'hourly'), t('2026-12-06T10:00:00Z') + grace);
    // at the due time itself: the next one
    assert.equal(
      nextDueAt(t('2026-12-06T10:00:00Z') + grace, 'hourly'),
      t('2026-12-06T11:00:00Z') + grace,
    );
    assert.equal(nextDueAt(t('2026-12-06T09:30:00Z'), 'daily'), t('2026-12-07T00:00:00Z') + grace);
    for (const now of [0, 1, t('2026-12-06T23:59:59Z'), t('2026-12-07T00:01:00Z')]) {
      for (const period of ['daily', 'hourly'] as const) {
        const next = nextDueAt(now, period);
        assert.ok(next > now, `${period} at ${now}`);
        // at that time the window that just closed is due, and it was not due a moment before
        const [, newest] = dueWindows(next, period);
        assert.equal(newest?.end, next - grace);
        assert.notEqual(dueWindows(next - 1, period)[1]?.name, newest.name);
      }
    }
  });

  void it('the key is under the prefix, apart from the files, per job and window', () => {
    const w = windowAt(t('2026-12-06T09:00:00Z'), 'hourly');
    assert.equal(manifestKey('', 'cams', w), '_s3ferry/manifests/cams/2026-12-06T09.jsonl');
    assert.equal(
      manifestKey('backups/', 'db', windowAt(w.start, 'daily')),
      'backups/_s3ferry/manifests/db/2026-12-06.jsonl',
    );
  });
});
