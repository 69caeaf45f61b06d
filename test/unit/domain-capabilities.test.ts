/**
 * The pure rules of write-once retention and endpoint capabilities: what a rule sets at a moment
 * (domain/retention.ts), how capabilities are said and compared (domain/capabilities.ts), what a
 * write becomes under them (transfer/capability-fit.ts), the flags (cli/lock-options.ts) and the
 * configuration's `retention` and `legalHold`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lockRule } from '../../src/agent/destination-runtime.js';
import { lockRuleOf } from '../../src/cli/lock-options.js';
import { parseConfig } from '../../src/config/load.js';
import {
  capabilityChanges,
  describeCapabilities,
  isProbeKey,
  probeKey,
  type EndpointCapabilities,
} from '../../src/domain/capabilities.js';
import { describeLockRule, objectLockAt } from '../../src/domain/retention.js';
import { isAppError } from '../../src/errors/app-error.js';
import { fitWrite } from '../../src/transfer/capability-fit.js';

const ALL: EndpointCapabilities = {
  conditionalPut: true,
  tagging: true,
  objectLock: true,
  versioning: true,
  checksumCrc32: true,
  md5Etags: true,
};
const SWIFT: EndpointCapabilities = {
  conditionalPut: false,
  tagging: false,
  objectLock: false,
  versioning: false,
  checksumCrc32: false,
  md5Etags: true,
};
const DAY = 86_400_000;

describe('retention rules', () => {
  it('set the S3 mode and a date counted from the write, to the whole second', () => {
    const at = Date.UTC(2026, 11, 6, 9, 0, 0, 250);
    assert.deepEqual(
      objectLockAt({ retention: { mode: 'governance', for: 30 * DAY }, legalHold: true }, at),
      {
        retention: { mode: 'GOVERNANCE', retainUntil: new Date(Date.UTC(2027, 0, 5, 9, 0, 1)) },
        legalHold: true,
      },
    );
    assert.deepEqual(
      objectLockAt({ retention: { mode: 'compliance', for: 1000 }, legalHold: false }, 0),
      {
        retention: { mode: 'COMPLIANCE', retainUntil: new Date(1000) },
      },
    );
    assert.deepEqual(objectLockAt({ legalHold: true }, at), { legalHold: true });
    assert.equal(objectLockAt({ legalHold: false }, at), undefined);
    assert.equal(objectLockAt(undefined, at), undefined);
  });

  it('a job takes its destination’s where it sets none, and may turn a legal hold off', () => {
    const dest = { retention: { mode: 'governance' as const, for: DAY }, legalHold: true };
    assert.deepEqual(lockRule({}, dest), dest);
    assert.deepEqual(lockRule({ legalHold: false }, dest), {
      retention: dest.retention,
      legalHold: false,
    });
    assert.equal(lockRule({ legalHold: false }, { legalHold: true }), undefined);
    assert.equal(describeLockRule(dest), 'governance retention for 1d, legal hold');
  });

  it('--retention MODE:DURATION and --legal-hold', () => {
    assert.deepEqual(lockRuleOf({ retention: 'compliance:365d' }), {
      retention: { mode: 'compliance', for: 365 * DAY },
      legalHold: false,
    });
    assert.deepEqual(lockRuleOf({ legalHold: true }), { legalHold: true });
    assert.equal(lockRuleOf({}), undefined);
    for (const bad of ['30d', 'forever:30d', 'governance:', 'governance:soon', 'governance:0s'])
      assert.throws(
        () => lockRuleOf({ retention: bad }),
        (e) => isAppError(e, 'ERR_USAGE'),
        bad,
      );
  });

  it('the configuration: per destination and per job, with their paths when wrong', () => {
    const config = parseConfig(
      JSON.stringify({
        destinations: {
          d: { bucket: 'b', retention: { mode: 'compliance', for: '30d' }, legalHold: true },
        },
        jobs: [
          { name: 'a', sources: ['/a'], destination: 'd' },
          {
            name: 'b',
            sources: ['/b'],
            destination: 'd',
            retention: { mode: 'governance', for: '2h' },
            legalHold: false,
          },
        ],
      }),
      's3ferry.yaml',
    );
    assert.deepEqual(config.jobs[0]?.destination.retention, { mode: 'compliance', for: 30 * DAY });
    assert.equal(config.jobs[0].destination.legalHold, true);
    assert.equal(config.jobs[0].retention, undefined);
    assert.deepEqual(config.jobs[1]?.retention, { mode: 'governance', for: 2 * 3_600_000 });
    assert.equal(config.jobs[1].legalHold, false);
    assert.throws(
      () =>
        parseConfig(
          JSON.stringify({
            jobs: [
              {
                name: 'a',
                sources: ['/a'],
                destination: { bucket: 'b', retention: { mode: 'legal', for: 'never' } },
              },
            ],
          }),
          's3ferry.yaml',
        ),
      (e: unknown) =>
        isAppError(e, 'ERR_CONFIG_INVALID') &&
        /jobs\[0\]\.destination\.retention\.mode/.test(e.message) &&
        /jobs\[0\]\.destination\.retention\.for/.test(e.message),
    );
  });
});

describe('capabilities', () => {
  it('are said in one line, with what changed', () => {
    assert.equal(
      describeCapabilities(SWIFT),
      'MD5 ETags; not: conditional PUT, tags, Object Lock, versioning, CRC32 checksums',
    );
    assert.equal(
      describeCapabilities(ALL),
      'conditional PUT, tags, Object Lock, versioning, CRC32 checksums, MD5 ETags',
    );
    assert.deepEqual(capabilityChanges(undefined, SWIFT), []);
    assert.deepEqual(capabilityChanges(ALL, { ...ALL, conditionalPut: false }), [
      'conditional PUT: no (was yes)',
    ]);
  });

  it('the probe’s scratch keys are under the prefix and known by their name', () => {
    const key = probeKey('backups/host/', 'abc');
    assert.equal(key, 'backups/host/.s3ferry-probe-abc');
    assert.ok(isProbeKey(key));
    assert.ok(!isProbeKey('backups/host/file.s3ferry-probe-abc'));
  });
});

describe('a write fitted to the store', () => {
  const write = { tagging: 'a=b', ifNoneMatch: true, metadata: { x: 'y' } };

  it('unchanged where the store accepts it all, or was not probed', () => {
    assert.equal(fitWrite(write, ALL, 'b'), write);
    assert.equal(fitWrite(write, undefined, 'b'), write);
  });

  it('without tags and condition where the store keeps neither (Swift’s s3api)', () => {
    assert.deepEqual(fitWrite(write, SWIFT, 'b'), { metadata: { x: 'y' } });
    assert.deepEqual(fitWrite(write, { ...ALL, conditionalPut: false }, 'b'), {
      tagging: 'a=b',
      metadata: { x: 'y' },
    });
  });

  it('refused outright when it asks for retention the bucket cannot keep', () => {
    const locked = { ...write, objectLock: { legalHold: true } };
    assert.throws(
      () => fitWrite(locked, SWIFT, 'vault'),
      (e: unknown) =>
        isAppError(e, 'ERR_S3_NO_OBJECT_LOCK') &&
        e.kind === 'fatal' &&
        e.exitCode === 3 &&
        /"vault" has no Object Lock/.test(e.message) &&
        /create the bucket with Object Lock enabled/.test(e.hint ?? ''),
    );
    assert.equal(fitWrite(locked, ALL, 'vault'), locked);
  });
});
