/**
 * The agent's bandwidth control with an injected clock and a DST-free zone (UTC+2): timetable steps
 * set the limiters' rates when they come, an override holds until the next step or its --for, a
 * reset and a reload end it, an unknown destination is refused, and each change is an event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_SCOPE,
  BandwidthControl,
  type BandwidthScopeConfig,
} from '../../src/agent/bandwidth-control.js';
import { fixedZone } from '../../src/domain/bandwidth-schedule.js';
import type { BandwidthTimetable } from '../../src/domain/bandwidth-timetable.js';
import { parseTimetable } from '../../src/domain/timetable-parse.js';
import { isAppError } from '../../src/errors/app-error.js';
import { BandwidthLimiter } from '../../src/transfer/bandwidth-limiter.js';
import { ManualClock } from '../support/job-source-harness.js';

const MIB = 1024 * 1024;
const MIN = 60_000;
const HOUR = 60 * MIN;
const ZONE = fixedZone(120);
const DEST = 's3://b/p/ at http://127.0.0.1:9';

/** Monday 2024-01-01 plus `day` days, at "HH:MM", in UTC+2. */
function at(day: number, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return Date.UTC(2024, 0, 1 + day, h ?? 0, m ?? 0) - 120 * MIN;
}

function table(text: string): BandwidthTimetable {
  const r = parseTimetable(text);
  assert.ok(r.ok, text);
  return r.timetable;
}

interface Emitted {
  type: string;
  message: string;
  data: Record<string, unknown> | undefined;
}

function setup(agent: string | undefined, destinations: BandwidthScopeConfig[]) {
  const clock = new ManualClock();
  clock.time = at(0, '07:00');
  const events: Emitted[] = [];
  const control = new BandwidthControl({
    clock,
    zone: ZONE,
    events: {
      emit: (type, _level, message, about) => {
        events.push({ type, message, data: about?.data });
        return Promise.resolve();
      },
    },
  });
  control.configure(agent === undefined ? undefined : table(agent), destinations);
  const [own, shared] = control.throttlesFor(DEST);
  assert.ok(own instanceof BandwidthLimiter && shared instanceof BandwidthLimiter);
  return { clock, events, control, own, shared };
}

const settle = () => new Promise((r) => setImmediate(r));

/** Moves the clock a minute at a time (the control looks at least every minute). */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= MIN) {
    clock.advance(Math.min(MIN, left));
    await settle();
  }
}

const OFFICE = 'Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off';

describe('bandwidth control', () => {
  it('sets each limiter when its timetable steps, with an event, and shows what holds and what comes', async () => {
    const { clock, events, control, own, shared } = setup(OFFICE, [
      { name: DEST, configName: 'offsite', timetable: table('1MiB') },
    ]);
    control.start();
    assert.equal(shared.bytesPerSec, undefined, 'Monday 07:00: off');
    assert.equal(own.bytesPerSec, MIB);
    assert.deepEqual(control.view(), {
      agent: {
        destination: AGENT_SCOPE,
        bytesPerSec: null,
        source: 'config',
        timetable: OFFICE,
        next: { at: at(0, '08:00'), bytesPerSec: 4 * MIB },
      },
      destinations: [{ destination: DEST, bytesPerSec: MIB, source: 'config', timetable: '1MiB' }],
    });
    await advance(clock, HOUR);
    assert.equal(shared.bytesPerSec, 4 * MIB, 'Monday 08:00');
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [['bandwidth.changed', { destination: AGENT_SCOPE, bytesPerSec: 4 * MIB, source: 'config' }]],
    );
    assert.match(events[0]?.message ?? '', /over all destinations is now 4\.00 MiB\/s/);
    await advance(clock, 10 * HOUR);
    assert.equal(shared.bytesPerSec, undefined, 'Monday 18:00');
    await control.close();
  });

  it('an override holds until the timetable next changes the limit, or for its --for', async () => {
    const { clock, events, control, own, shared } = setup(OFFICE, [
      { name: DEST, configName: 'offsite', timetable: table('1MiB') },
    ]);
    control.start();
    await advance(clock, 2 * HOUR); // Monday 09:00, 4 MiB/s
    const view = control.change({ bytesPerSec: 2 * MIB });
    assert.equal(shared.bytesPerSec, 2 * MIB, 'at once');
    assert.deepEqual(view.agent, {
      destination: AGENT_SCOPE,
      bytesPerSec: 2 * MIB,
      source: 'override',
      timetable: OFFICE,
      override: { bytesPerSec: 2 * MIB, setAt: at(0, '09:00'), until: at(0, '18:00') },
      next: { at: at(0, '18:00'), bytesPerSec: null },
    });
    // by the name of its entry under destinations:, for two hours, past nothing
    control.change({ destination: 'offsite', bytesPerSec: null, forMs: 2 * HOUR });
    assert.equal(own.bytesPerSec, undefined);
    assert.equal(control.view().destinations[0]?.override?.until, at(0, '11:00'));
    await advance(clock, 2 * HOUR);
    assert.equal(own.bytesPerSec, MIB, 'back to its 1 MiB/s at 11:00');
    assert.equal(control.view().destinations[0]?.source, 'config');
    await advance(clock, 7 * HOUR);
    assert.equal(shared.bytesPerSec, undefined, "the agent's ended with the 18:00 step");
    assert.equal(control.view().agent.override, undefined);
    assert.deepEqual(
      events.filter((e) => e.type === 'bandwidth.override').map((e) => e.data),
      [
        { destination: AGENT_SCOPE, bytesPerSec: 2 * MIB, until: at(0, '18:00') },
        { destination: DEST, bytesPerSec: null, until: at(0, '11:00') },
      ],
    );
    await control.close();
  });

  it('reset ends an override at once; a reload ends every override and keeps the limiters', async () => {
    const { control, own, shared } = setup('1MiB', [{ name: DEST, timetable: undefined }]);
    control.change({ bytesPerSec: 8 * MIB });
    assert.equal(shared.bytesPerSec, 8 * MIB);
    assert.equal(control.view().agent.override?.until, null, 'a constant limit: until reset');
    control.change({ reset: true });
    assert.equal(shared.bytesPerSec, MIB);
    control.change({ destination: DEST, bytesPerSec: 3 * MIB });
    assert.equal(own.bytesPerSec, 3 * MIB);
    control.configure(table('2MiB'), [{ name: DEST, timetable: undefined }]);
    assert.deepEqual(control.throttlesFor(DEST), [own, shared], 'the same limiters');
    assert.equal(own.bytesPerSec, undefined);
    assert.equal(shared.bytesPerSec, 2 * MIB);
    await control.close();
  });

  it('refuses a destination it does not have, naming those it has', () => {
    const { control } = setup(undefined, [{ name: DEST, configName: 'offsite' }]);
    assert.throws(
      () => control.change({ destination: 'elsewhere', bytesPerSec: MIB }),
      (err: unknown) =>
        isAppError(err, 'ERR_USAGE') &&
        err.message === 'no destination named elsewhere' &&
        (err.hint ?? '').includes(DEST) &&
        err.details.field === 'destination',
    );
  });
});
