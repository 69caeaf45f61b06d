import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/domain/backoff.js';
import { parseDuration, parseSize, formatBytes } from '../../src/domain/duration.js';
import { md5HexToBase64, multipartEtag, normalizeEtag } from '../../src/domain/etag.js';
import {
  choosePartSize,
  MAX_OBJECT_SIZE,
  MAX_PARTS,
  MIB,
  MIN_PART_SIZE,
  partCount,
  partRange,
  TIB,
} from '../../src/domain/part-size.js';
import { isAppError } from '../../src/errors/app-error.js';
import { createHash } from 'node:crypto';

describe('part size', () => {
  it('keeps the preferred size while it needs at most 10,000 parts', () => {
    assert.equal(choosePartSize(0, 8 * MIB), 8 * MIB);
    assert.equal(choosePartSize(5 * MIB, MIN_PART_SIZE), 5 * MIB);
    assert.equal(partCount(5 * MIB, 5 * MIB), 1);
    assert.equal(partCount(5 * MIB + 1, 5 * MIB), 2);
    assert.equal(partCount(0, 5 * MIB), 1);
  });
  it('exactly 10,000 parts of the minimum size stays at the minimum', () => {
    const size = MAX_PARTS * MIN_PART_SIZE;
    assert.equal(choosePartSize(size, MIN_PART_SIZE), MIN_PART_SIZE);
    assert.equal(partCount(size, MIN_PART_SIZE), MAX_PARTS);
  });
  it('one byte more raises the part size so the count never exceeds 10,000 (ceil, not floor)', () => {
    const size = MAX_PARTS * MIN_PART_SIZE + 1;
    const ps = choosePartSize(size, MIN_PART_SIZE);
    assert.equal(ps, MIN_PART_SIZE + 1);
    assert.ok(partCount(size, ps) <= MAX_PARTS);
    // floor would have given MIN_PART_SIZE and 10,001 parts
    assert.equal(
      partCount(size, Math.max(MIN_PART_SIZE, Math.floor(size / MAX_PARTS))),
      MAX_PARTS + 1,
    );
  });
  it('5 TiB fits in 10,000 parts; one byte more is refused', () => {
    const ps = choosePartSize(5 * TIB, 8 * MIB);
    assert.ok(partCount(5 * TIB, ps) <= MAX_PARTS);
    assert.ok(ps * MAX_PARTS >= 5 * TIB);
    assert.throws(
      () => choosePartSize(MAX_OBJECT_SIZE + 1, 8 * MIB),
      (e) => isAppError(e, 'ERR_FILE_TOO_LARGE'),
    );
  });
  it('refuses part sizes S3 cannot take', () => {
    assert.throws(
      () => choosePartSize(1, MIN_PART_SIZE - 1),
      (e) => isAppError(e, 'ERR_USAGE'),
    );
  });
  it('part ranges cover the file exactly', () => {
    const size = 3 * MIB + 17;
    const ps = MIB;
    let covered = 0;
    for (let n = 1; n <= partCount(size, ps); n += 1) {
      const { start, end } = partRange(n, ps, size);
      assert.equal(start, covered);
      covered = end;
    }
    assert.equal(covered, size);
  });
});

describe('etag', () => {
  it('computes the multipart ETag as S3 does: md5 of the binary part md5s, dash, count', () => {
    const a = createHash('md5').update('aaa').digest('hex');
    const b = createHash('md5').update('bb').digest('hex');
    const expected = createHash('md5')
      .update(Buffer.concat([Buffer.from(a, 'hex'), Buffer.from(b, 'hex')]))
      .digest('hex');
    assert.equal(multipartEtag([a, b]), `${expected}-2`);
  });
  it('normalises quotes and case; converts hex to base64', () => {
    assert.equal(normalizeEtag('"ABC-2"'), 'abc-2');
    assert.equal(normalizeEtag(undefined), '');
    assert.equal(md5HexToBase64('d41d8cd98f00b204e9800998ecf8427e'), '1B2M2Y8AsgTpgAmY7PhCfg==');
  });
});

describe('backoff', () => {
  it('grows exponentially within [floor, cap] and uses the random draw', () => {
    const p = { baseMs: 100, capMs: 10_000 };
    assert.equal(backoffDelay(1, 0, p), 25);
    assert.equal(backoffDelay(1, 0.999999, p), 100);
    assert.equal(backoffDelay(4, 0.999999, p), 800);
    assert.equal(backoffDelay(40, 0.999999, p), 10_000);
    assert.ok(backoffDelay(3, 0.5, p) > backoffDelay(3, 0.1, p));
  });
  it('waits longer when throttled', () => {
    const p = { baseMs: 100, capMs: 10_000 };
    assert.ok(backoffDelay(1, 0.9, p, true) > backoffDelay(1, 0.9, p, false));
  });
});

describe('durations and sizes', () => {
  it('parses what the CLI accepts', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('10'), 10_000);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(parseDuration('5x'), undefined);
    assert.equal(parseSize('8MiB'), 8 * MIB);
    assert.equal(parseSize('16M'), 16 * MIB);
    assert.equal(parseSize('1MB'), 1_000_000);
    assert.equal(parseSize('4096'), 4096);
    assert.equal(parseSize('lots'), undefined);
    assert.equal(formatBytes(1536), '1.50 KiB');
  });
});
