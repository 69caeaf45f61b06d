/** The file state machine as data (src/domain/file-state.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ALL_FILE_STATES,
  FILE_TRANSITIONS,
  HELD_STATES,
  HELD_TRANSITIONS,
  PENDING_STATES,
  canTransition,
  targetState,
  type TransitionName,
} from '../../src/domain/file-state.js';

describe('file states', () => {
  it('every transition leaves and enters known states', () => {
    for (const [name, t] of Object.entries(FILE_TRANSITIONS)) {
      assert.ok(ALL_FILE_STATES.includes(t.to), name);
      for (const s of t.from) assert.ok(ALL_FILE_STATES.includes(s), `${name} from ${s}`);
    }
  });

  it('the held transitions are exactly those that leave only held states', () => {
    assert.deepEqual([...HELD_TRANSITIONS].sort(), [
      'cancel',
      'complete',
      'defer',
      'markVerifying',
      'park',
      'release',
      'resettle',
      'skip',
    ]);
    for (const name of HELD_TRANSITIONS)
      for (const s of FILE_TRANSITIONS[name].from) assert.ok(HELD_STATES.includes(s), name);
  });

  it('canTransition and targetState follow the table; a kept state stays', () => {
    const cases: [TransitionName, string, string | undefined][] = [
      ['markVerifying', 'uploading', 'verifying'],
      ['markVerifying', 'verifying', undefined],
      ['complete', 'uploading', 'done'],
      ['complete', 'verifying', 'done'],
      ['release', 'uploading', 'queued'],
      ['release', 'verifying', 'verifying'],
      ['claim', 'verifying', 'verifying'],
      ['claim', 'waiting', 'uploading'],
      ['claim', 'done', undefined],
      ['releaseForRetry', 'parked', 'queued'],
      ['releaseForRetry', 'uploading', undefined],
      ['enqueue', 'uploading', undefined],
      ['enqueue', 'parked', 'queued'],
    ];
    for (const [name, from, to] of cases) {
      assert.equal(targetState(name, from as never), to, `${name} from ${from}`);
      assert.equal(canTransition(name, from as never), to !== undefined, `${name} from ${from}`);
    }
  });

  it('the dashboard counts the same pending set', () => {
    const js = readFileSync(
      new URL('../../../src/dashboard/static/format.js', import.meta.url),
      'utf8',
    );
    const m = /export const PENDING_STATES = (\[[^\]]*\]);/.exec(js);
    assert.ok(m?.[1] !== undefined, 'format.js exports PENDING_STATES');
    assert.deepEqual(JSON.parse(m[1].replace(/'/g, '"')), [...PENDING_STATES]);
  });
});
