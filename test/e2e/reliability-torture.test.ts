/**
 * The crash torture in the suite (issue 5, item 1; docs/reliability.md): 20 SIGKILLs of a real
 * `s3ferry run` at random moments over a mixed workload, then every promise is checked: one object
 * per file with the file's sha256, nothing extra, no incomplete multipart upload, the journal done
 * for all, and each crash cost at most the requests that were in flight. The documented full run
 * is `npm run torture -- --kills 200`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTorture } from '../support/torture/harness.js';
import { brokenPromises, formatReport } from '../support/torture/report.js';
import { rgwServer } from '../support/s3-server.js';

const KILLS = 20;

describe('crash torture', () => {
  it(`loses nothing and re-sends at most the requests in flight over ${KILLS} SIGKILLs`, async () => {
    const seed = Number(process.env.S3FERRY_TORTURE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const report = await runTorture({ info: await rgwServer(), kills: KILLS, seed, files: 40 });
    const text = formatReport(report);
    process.stdout.write(`${text.replace(/^/gm, '# ')}\n`);
    assert.deepEqual(brokenPromises(report), [], text);
    assert.equal(report.verdict.objects, report.files);
    assert.ok(report.accounting.crashesMidUpload > 0, `no kill cut an upload: ${text}`);
  });
});
