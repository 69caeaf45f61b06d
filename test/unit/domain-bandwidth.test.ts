/**
 * Bandwidth by the clock (issue 16 item 3), the pure part: the timetable's grammar and its errors
 * (column and fix, also through s3ferry.yaml), which limit holds when in a DST-free local time
 * (UTC+2) with day and week wrap and the next change, a zone whose clocks change, and overrides.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  effectiveLimit,
  fixedZone,
  makeOverride,
  scheduledAt,
  weekMinuteAt,
  type LocalZone,
} from '../../src/domain/bandwidth-schedule.js';
import type { BandwidthTimetable } from '../../src/domain/bandwidth-timetable.js';
import { parseTimetable } from '../../src/domain/timetable-parse.js';
import { parseConfig } from '../../src/config/load.js';
import { isAppError } from '../../src/errors/app-error.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const MIN = 60_000;
const HOUR = 60 * MIN;

/** The tests' local time: UTC+2 all year (no daylight saving time). */
const ZONE = fixedZone(120);

/**
 * A local time in ZONE: `day` days after Monday 2024-01-01 (a Monday), at "HH:MM". Day 7 is the
 * next Monday.
 */
function at(day: number, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return Date.UTC(2024, 0, 1 + day, h ?? 0, m ?? 0) - 120 * MIN;
}

function table(text: string): BandwidthTimetable {
  const r = parseTimetable(text);
  if (!r.ok) assert.fail(`${text}: column ${r.error.column}: ${r.error.message}`);
  return r.timetable;
}

/** The column and message of the error of `text`. */
function fault(text: string): { column: number; message: string } {
  const r = parseTimetable(text);
  if (r.ok) assert.fail(`${text} parsed`);
  return r.error;
}

const OFFICE = 'Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off';

describe('bandwidth timetable: the grammar', () => {
  it('one rate is a limit for the whole week; off is none', () => {
    for (const [text, rate] of [
      ['4MiB', 4 * MIB],
      ['10M/s', 10 * MIB],
      ['512k', 512 * KIB],
      ['1.5MiB', 1.5 * MIB],
      ['2000', 2000],
      ['off', null],
      ['OFF', null],
    ] as const) {
      const t = table(text);
      assert.equal(t.text, text);
      assert.deepEqual(new Set(t.steps.map((s) => s.bytesPerSec)), new Set([rate]), text);
      assert.deepEqual(scheduledAt(t, at(3, '12:00'), ZONE), { bytesPerSec: rate }, text);
    }
  });

  it('days, ranges (across the week end too), full names, and H:MM', () => {
    const t = table('monday-FRIDAY 8:00 1M, 17:30 off; Sat,Sun 2M');
    assert.equal(scheduledAt(t, at(0, '08:00'), ZONE).bytesPerSec, MIB);
    assert.equal(scheduledAt(t, at(4, '17:29'), ZONE).bytesPerSec, MIB);
    assert.equal(scheduledAt(t, at(4, '17:30'), ZONE).bytesPerSec, null);
    assert.equal(scheduledAt(t, at(5, '00:00'), ZONE).bytesPerSec, 2 * MIB);
    const wrap = table('Fri-Mon 1M; Tue-Thu 09:00 off');
    assert.equal(scheduledAt(wrap, at(6, '12:00'), ZONE).bytesPerSec, MIB, 'Sunday is in Fri-Mon');
    assert.equal(scheduledAt(wrap, at(1, '08:59'), ZONE).bytesPerSec, MIB, 'Monday carries on');
    assert.equal(scheduledAt(wrap, at(1, '09:00'), ZONE).bytesPerSec, null);
  });

  it('a group without days holds on the days no other group names', () => {
    const t = table('08:00 4MiB, 18:00 off; Sat-Sun off');
    assert.equal(scheduledAt(t, at(2, '09:00'), ZONE).bytesPerSec, 4 * MIB, 'Wednesday');
    assert.equal(scheduledAt(t, at(5, '09:00'), ZONE).bytesPerSec, null, 'Saturday is free');
  });

  it('names the column of the fault and the fix', () => {
    const cases: [string, string | null, RegExp][] = [
      ['', '', /the limit is empty: write a rate like 4MiB, off, or a timetable/],
      ['Mon-Fri 08:00 4MiB, 18:00 of', 'of', /"of" is neither a day nor a rate: write Mon/],
      ['Mon-Fri 25:00 4MiB', '25:00', /"25:00" is not a time of day: write .* 00:00 to 23:59/],
      ['08:00,512k 12:00,10M', ',512k', /needs its rate after a space, not a comma.*08:00 4MiB/],
      ['Mon-Fri 08:00 4MiB 18:00 off', '18:00', /follows a step: separate steps with ","/],
      ['Mon-Fri 08:00 4MiB; Fri off', 'Fri off', /Fri is already in the group at column 1/],
      ['4MiB; 1MiB', '1MiB', /only one group may leave out its days .*column 1/],
      ['Mon-Fri 08:00 0', '0', /a rate of 0 would stop every upload: write off for no limit/],
      ['Mon-Fri 08:00 4MB/h', '4MB/h', /"4MB\/h" is not a rate: write bytes per second/],
      ['Mon-Fri 08:00 4MiB, off', 'off', /needs its time: a step after the first is HH:MM RATE/],
      ['Mon-Fri 08:00 4MiB, 08:00 off', '08:00 off', /08:00 is set twice in this group/],
      ['Mon-Xyz 1M', 'Xyz', /"Xyz" should end the range Mon-/],
      ['Mon-Fri 08:00 1M, Sat off', 'Sat', /days start a group, after a ";"/],
      ['Mon-Fri Sat 1M', 'Sat', /Sat comes too late: list the days first, with commas/],
      ['Mon-Sun 1M; 2M', '2M', /holds on no day/],
      ['Mon-Fri 08:00 4MiB;', null, /nothing is between these ";": remove the extra ";"/],
      ['Sat-Sun', null, /the days need a rate or steps after them: write e.g. Sat-Sun off/],
    ];
    for (const [text, what, message] of cases) {
      const e = fault(text);
      const column = what === null ? text.length + 1 : text.lastIndexOf(what) + 1;
      assert.equal(e.column, text === '' ? 1 : column, text);
      assert.match(e.message, message, text);
    }
    // leading blanks count: the column is the one in the text as written
    assert.equal(fault('   Mon 25:00 1M').column, 8);
  });

  it('s3ferry.yaml: the path, the column and the fix; a number is bytes per second', () => {
    const lines = (doc: string): string[] => {
      try {
        parseConfig(doc, 's3ferry.yaml');
      } catch (err) {
        assert.ok(isAppError(err, 'ERR_CONFIG_INVALID'), String(err));
        return err.message.split('\n').slice(1);
      }
      return assert.fail('expected ERR_CONFIG_INVALID');
    };
    assert.deepEqual(
      lines(
        'bwlimit: "Mon-Fri 08:00 4MiB, 18:00 of"\njobs:\n  - name: j\n    sources: [/d]\n    destination: { bucket: b, bwlimit: 0 }\n',
      ),
      [
        'bwlimit: at column 27 of "Mon-Fri 08:00 4MiB, 18:00 of": "of" is neither a day nor a rate: write Mon, Tue, Wed, Thu, Fri, Sat or Sun, or a range like Mon-Fri; a rate: write bytes per second like 4MiB, 512KiB or 10M (/s may follow), or off',
        'jobs[0].destination.bwlimit: 0 is not a rate: a number is whole bytes per second, at least 1; for no limit write off',
      ],
    );
    const config = parseConfig(
      `bwlimit: "${OFFICE}"\njobs:\n  - name: j\n    sources: [/d]\n    destination: { bucket: b, bwlimit: 1048576 }\n`,
      's3ferry.yaml',
    );
    assert.equal(config.bwlimit?.text, OFFICE);
    assert.equal(
      scheduledAt(config.jobs[0]?.destination.bwlimit, at(0, '03:00'), ZONE).bytesPerSec,
      MIB,
    );
  });
});

describe('bandwidth schedule: which limit holds, in local time', () => {
  const office = table(OFFICE);

  it('reads the wall clock of the zone: Monday 00:00 local is a Sunday in UTC', () => {
    assert.equal(weekMinuteAt(at(0, '00:00'), ZONE), 1 * 1440, 'Monday 00:00');
    assert.equal(weekMinuteAt(at(0, '00:00'), fixedZone(0)), 0 * 1440 + 22 * 60, 'Sunday 22:00');
    assert.equal(weekMinuteAt(at(6, '23:59'), ZONE), 23 * 60 + 59, 'Sunday 23:59');
  });

  it('a step holds until the next, with the next change and its rate', () => {
    assert.deepEqual(scheduledAt(office, at(0, '07:59'), ZONE), {
      bytesPerSec: null,
      next: { at: at(0, '08:00'), bytesPerSec: 4 * MIB },
    });
    assert.deepEqual(scheduledAt(office, at(0, '08:00'), ZONE), {
      bytesPerSec: 4 * MIB,
      next: { at: at(0, '18:00'), bytesPerSec: null },
    });
    // seconds into a minute: the change is still at the minute
    assert.deepEqual(scheduledAt(office, at(2, '17:59') + 30_000, ZONE).next, {
      at: at(2, '18:00'),
      bytesPerSec: null,
    });
  });

  it('day wrap: an evening step holds past midnight into the next morning', () => {
    const night = table('22:00 1MiB, 06:00 off');
    assert.deepEqual(scheduledAt(night, at(2, '02:00'), ZONE), {
      bytesPerSec: MIB,
      next: { at: at(2, '06:00'), bytesPerSec: null },
    });
    assert.deepEqual(scheduledAt(night, at(2, '23:00'), ZONE).next, {
      at: at(3, '06:00'),
      bytesPerSec: null,
    });
  });

  it('week wrap: Friday evening off holds through the weekend (steps that change nothing are no change) to Monday 08:00', () => {
    assert.deepEqual(scheduledAt(office, at(4, '18:00'), ZONE), {
      bytesPerSec: null,
      next: { at: at(7, '08:00'), bytesPerSec: 4 * MIB },
    });
    // Saturday's step is the last of the week: it holds on Sunday, whose week starts at 00:00
    const weekend = table('Sat 22:00 1MiB; Mon 06:00 off');
    assert.deepEqual(scheduledAt(weekend, at(6, '12:00'), ZONE), {
      bytesPerSec: MIB,
      next: { at: at(7, '06:00'), bytesPerSec: null },
    });
    // and the other way round: from Monday's step the next change is next Saturday's
    assert.deepEqual(scheduledAt(weekend, at(0, '07:00'), ZONE).next, {
      at: at(5, '22:00'),
      bytesPerSec: MIB,
    });
  });

  it('a constant limit, or none, never changes', () => {
    assert.deepEqual(scheduledAt(table('4MiB'), at(1, '10:00'), ZONE), { bytesPerSec: 4 * MIB });
    assert.deepEqual(scheduledAt(undefined, at(1, '10:00'), ZONE), { bytesPerSec: null });
  });

  it('clocks going forward: a step in the skipped hour comes when they do', () => {
    // local 02:00 becomes 03:00 at Sunday 2024-01-07 01:00 UTC (UTC+1 to UTC+2)
    const jump = Date.UTC(2024, 0, 7, 1, 0);
    const zone: LocalZone = { offsetMinutes: (ms) => (ms < jump ? 60 : 120) };
    const t = table('Sun 02:30 1MiB, 12:00 off');
    assert.deepEqual(scheduledAt(t, jump - 3 * HOUR, zone), {
      bytesPerSec: null,
      next: { at: jump, bytesPerSec: MIB },
    });
    assert.equal(scheduledAt(t, jump, zone).bytesPerSec, MIB, 'local 03:00 is past 02:30');
  });

  it('clocks going back: the steps of the repeated hour hold again', () => {
    // local 03:00 becomes 02:00 at Sunday 2024-01-07 01:00 UTC (UTC+2 to UTC+1)
    const back = Date.UTC(2024, 0, 7, 1, 0);
    const zone: LocalZone = { offsetMinutes: (ms) => (ms < back ? 120 : 60) };
    const t = table('Sun 02:30 1MiB, 12:00 off');
    assert.equal(scheduledAt(t, back - 20 * MIN, zone).bytesPerSec, MIB, 'local 02:40');
    assert.deepEqual(scheduledAt(t, back, zone), {
      bytesPerSec: null,
      next: { at: back + 30 * MIN, bytesPerSec: MIB },
    });
  });
});

describe('bandwidth override', () => {
  const office = table(OFFICE);

  it('without --for it lasts until the timetable next changes the limit', () => {
    const o = makeOverride(office, 2 * MIB, at(0, '10:00'), ZONE);
    assert.deepEqual(o, { bytesPerSec: 2 * MIB, setAt: at(0, '10:00'), until: at(0, '18:00') });
    assert.deepEqual(effectiveLimit(office, o, at(0, '17:59'), ZONE), {
      bytesPerSec: 2 * MIB,
      source: 'override',
      next: { at: at(0, '18:00'), bytesPerSec: null },
    });
    assert.deepEqual(effectiveLimit(office, o, at(0, '18:00'), ZONE), {
      bytesPerSec: null,
      source: 'config',
      next: { at: at(1, '08:00'), bytesPerSec: 4 * MIB },
    });
  });

  it('with --for it lasts that long, past a timetable step', () => {
    const o = makeOverride(office, null, at(0, '17:00'), ZONE, 2 * HOUR);
    assert.equal(o.until, at(0, '19:00'));
    assert.deepEqual(effectiveLimit(office, o, at(0, '18:30'), ZONE), {
      bytesPerSec: null,
      source: 'override',
      next: { at: at(0, '19:00'), bytesPerSec: null },
    });
    assert.equal(effectiveLimit(office, o, at(0, '19:00'), ZONE).source, 'config');
  });

  it('over a limit that never changes it has no end', () => {
    const o = makeOverride(table('1MiB'), 8 * MIB, at(0, '10:00'), ZONE);
    assert.equal(o.until, null);
    assert.deepEqual(effectiveLimit(table('1MiB'), o, at(30, '10:00'), ZONE), {
      bytesPerSec: 8 * MIB,
      source: 'override',
    });
    assert.equal(makeOverride(undefined, MIB, at(0, '10:00'), ZONE).until, null);
  });
});
