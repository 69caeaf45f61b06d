/** The bench's MD5 floor: measured on this machine, and what it leaves of the W1 CPU target. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../bench/lib/compare.js';
import { md5FloorSentence, measureMd5SecPerGiB } from '../../bench/lib/md5-floor.js';
import { workloadFigures, type BenchResults } from '../../bench/lib/results.js';
import type { ToolId } from '../../bench/lib/tools.js';
import { workloads } from '../../bench/lib/workloads.js';
import { benchResults, verifiedRun } from '../support/bench-results.js';

const W = workloads(16);
const W1 = W.W1; // one file of 64 MiB at this scale

/** A verified W1 run using `cpuSec` of client CPU. */
const run = (tool: ToolId, cpuSec: number): RunRecord => verifiedRun(W1, tool, cpuSec);

function results(md5SecPerGiB: number | undefined): BenchResults {
  return benchResults([W1], [], md5SecPerGiB === undefined ? {} : { machine: { md5SecPerGiB } });
}

describe('bench MD5 floor', () => {
  it('measures a finite, positive CPU cost per GiB', () => {
    const v = measureMd5SecPerGiB();
    assert.ok(Number.isFinite(v) && v > 0, `got ${v}`);
  });

  it('names the hash, what s3ferry spent besides it, and what the target leaves', () => {
    // W1 here is 1/16 GiB: s3ferry 0.2 s = 3.2 s per GiB, the AWS CLI 0.4 s = 6.4 s per GiB.
    const f = workloadFigures(W1, [run('s3ferry', 0.2), run('aws', 0.4)]);
    const text = md5FloorSentence(results(1.7), f) ?? '';
    assert.match(text, /costs \*\*1\.70 s of CPU per GiB\*\*/);
    assert.match(text, /s3ferry used 3\.20 s per GiB in all, 1\.50 s besides the hash/);
    assert.match(text, /0\.5x the AWS CLI's 6\.40 s, is 3\.20 s per GiB: 1\.50 s for everything/);
  });

  it('says so when the target is below the hash alone', () => {
    const f = workloadFigures(W1, [run('s3ferry', 0.2), run('aws', 0.2)]); // 3.2 s per GiB each
    assert.match(md5FloorSentence(results(1.7), f) ?? '', /\*\*less than the hash alone\*\*/);
  });

  it('is left out of results that did not measure it, and of other workloads', () => {
    const f = workloadFigures(W1, [run('s3ferry', 0.2), run('aws', 0.4)]);
    assert.equal(md5FloorSentence(results(undefined), f), undefined);
    const w2 = workloadFigures(W.W2, []);
    assert.equal(md5FloorSentence(results(1.7), w2), undefined);
  });
});
