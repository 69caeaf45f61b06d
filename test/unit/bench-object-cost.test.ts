/**
 * The bench's per-object CPU parts under W2: the table, the rest of s3ferry's CPU, and what the
 * parts the design asks for (HeadObject, journal) leave of the "<= rclone's" target.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../bench/lib/compare.js';
import { objectCostLines, type ObjectCost } from '../../bench/lib/object-cost.js';
import { workloadFigures, type BenchResults } from '../../bench/lib/results.js';
import type { ToolId } from '../../bench/lib/tools.js';
import { workloads } from '../../bench/lib/workloads.js';
import { benchResults, verifiedRun } from '../support/bench-results.js';

const W = workloads(16);
const W2 = W.W2; // 125 objects at this scale

/** A verified W2 run whose client CPU is `msPerObject` per object. */
const run = (tool: ToolId, msPerObject: number): RunRecord =>
  verifiedRun(W2, tool, (msPerObject * W2.objects) / 1000);

const COST: ObjectCost = {
  objects: 2000,
  rounds: 3,
  filesMs: 0.1,
  putMs: 0.5,
  headMs: 0.4,
  journalMs: 0.4,
};

function results(cost: BenchResults['objectCost']): BenchResults {
  return benchResults([W2], [], cost === undefined ? {} : { objectCost: cost });
}

describe('bench per-object CPU parts', () => {
  it('lists the parts, their sum, the rest of s3ferry and rclone, and what the target leaves', () => {
    const f = workloadFigures(W2, [
      run('s3ferry', 2.5),
      run('rclone', 1.8),
      run('rclone-tuned', 1.6),
    ]);
    const text = objectCostLines(results({ ok: true, value: COST }), f).join('\n');
    assert.match(text, /\| HeadObject: the verification \(DESIGN\.md item 9\) \| 0\.40 \|/);
    assert.match(text, /\| sum of the parts \| 1\.40 \|/);
    assert.match(text, /whole CPU per object in W2 \(start-up included\) \| 2\.50 \|/);
    assert.match(text, /\| the rest: start-up, MD5, scheduling, events, promises \| 1\.10 \|/);
    assert.match(text, /\| rclone \(the lower of default and tuned\), whole \| 1\.60 \|/);
    // 0.4 + 0.4 of 1.6 ms; 0.8 ms left, the file and the PUT alone take 0.6.
    assert.match(text, /cost 0\.80 ms per object: 50 % of rclone's/);
    assert.match(text, /leaves 0\.80 ms per object .* the file and the PUT alone take 0\.60 ms/);
  });

  it('says when the design parts alone exceed rclone', () => {
    const f = workloadFigures(W2, [run('s3ferry', 2.5), run('rclone-tuned', 0.7)]);
    const text = objectCostLines(results({ ok: true, value: COST }), f).join('\n');
    assert.match(text, /leaves \*\*nothing\*\* per object/);
  });

  it('reports a failed measurement, and nothing for other workloads or older results', () => {
    const f = workloadFigures(W2, [run('s3ferry', 2.5)]);
    assert.deepEqual(objectCostLines(results({ ok: false, error: 'boom' }), f), [
      'Per-object CPU parts: failed: boom',
      '',
    ]);
    assert.deepEqual(objectCostLines(results(undefined), f), []);
    const w3 = workloadFigures(W.W3, []);
    assert.deepEqual(objectCostLines(results({ ok: true, value: COST }), w3), []);
  });
});
