/**
 * Verification (transfer/verify.ts) and the ownership rule (transfer/ownership.ts) as tables,
 * without a store: what proves an upload, when a HeadObject is sent, what it decides; whose an
 * unfinished multipart upload is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import type { UploadRecord } from '../../src/journal/journal-store.js';
import type { ObjectHead, WriteOptions } from '../../src/object-store/object-target.js';
import { uploadOwner, UNJOURNALED_WINDOW_MS } from '../../src/transfer/ownership.js';
import { INTENT_METADATA_KEY } from '../../src/transfer/transfer-types.js';
import { Verifier, type WrittenObject } from '../../src/transfer/verify.js';

const MD5 = '9e107d9d372bb6826bd81d3542a419d6';
const OTHER_MD5 = '0123456789abcdef0123456789abcdef';
const OBJ: WrittenObject = {
  where: 's3://b/k',
  size: 10,
  expected: MD5,
  answered: MD5,
  intentId: 7,
};

function head(etag: string, size = 10, intent?: number): ObjectHead {
  return {
    size,
    etag,
    metadata: intent === undefined ? {} : { [INTENT_METADATA_KEY]: String(intent) },
    lastModified: null,
  };
}

/** A HeadObject that counts its calls and answers `answer`. */
function heads(answer: ObjectHead | undefined): {
  calls: number;
  fn: () => Promise<ObjectHead | undefined>;
} {
  const h = {
    calls: 0,
    fn: () => {
      h.calls += 1;
      return Promise.resolve(answer);
    },
  };
  return h;
}

const failsVerify = (err: unknown): boolean => isAppError(err, 'ERR_VERIFY_FAILED');

describe('Verifier', () => {
  it('takes an answered ETag equal to the computed one, with no HeadObject', async () => {
    const h = heads(undefined);
    assert.deepEqual(await new Verifier('etag').verify(OBJ, {}, h.fn), { etag: MD5, by: 'etag' });
    assert.equal(h.calls, 0);
  });

  it('asks HeadObject when the answer has no ETag (RGW Complete) or another one', async () => {
    for (const answered of ['', OTHER_MD5, undefined]) {
      const h = heads(head(MD5));
      const v = new Verifier('etag');
      assert.deepEqual(await v.verify({ ...OBJ, answered }, {}, h.fn), { etag: MD5, by: 'head' });
      assert.equal(h.calls, 1);
      assert.equal(v.opaqueEtags, false, 'an MD5 ETag on HEAD teaches nothing');
    }
  });

  it('fails on a missing object, another size, or an MD5-shaped ETag the HEAD confirms', async () => {
    const v = new Verifier('etag');
    const odd = { ...OBJ, answered: '' };
    await assert.rejects(v.verify(odd, {}, heads(undefined).fn), failsVerify);
    await assert.rejects(v.verify(odd, {}, heads(head(MD5, 11)).fn), failsVerify);
    await assert.rejects(v.verify(odd, {}, heads(head(OTHER_MD5)).fn), failsVerify);
    await assert.rejects(v.verify(odd, {}, heads(head(`${OTHER_MD5}-2`)).fn), failsVerify);
    assert.equal(v.opaqueEtags, false);
  });

  it('learns once that a store gives ETags that are not MD5s, and HEADs every object from then on', async () => {
    const told: string[] = [];
    const v = new Verifier('etag', (etag) => told.push(etag));
    const first = await v.verify({ ...OBJ, answered: 'abc' }, {}, heads(head('abc', 10, 7)).fn);
    assert.deepEqual(first, { etag: 'abc', by: 'head' });
    assert.equal(v.opaqueEtags, true);
    const h = heads(head('def', 10, 8));
    // even an answer that looks right is no proof on such a store
    const second = await v.verify({ ...OBJ, intentId: 8 }, {}, h.fn);
    assert.deepEqual(second, { etag: 'def', by: 'head' });
    assert.equal(h.calls, 1);
    assert.deepEqual(told, ['abc']);
    // where ETags prove nothing, another upload's intent does fail
    await assert.rejects(v.verify(OBJ, {}, heads(head('x', 10, 99)).fn), failsVerify);
    await assert.rejects(v.verify(OBJ, {}, heads(head('x', 9, 7)).fn), failsVerify);
  });

  it('an empty ETag on HEAD too: verified by size, the ETag computed kept', async () => {
    const v = new Verifier('etag');
    const got = await v.verify({ ...OBJ, answered: '' }, {}, heads(head('')).fn);
    assert.deepEqual(got, { etag: MD5, by: 'head' });
    assert.equal(v.opaqueEtags, true);
  });

  it('SSE-KMS: always HEAD, by size and intent, without learning', async () => {
    const kms: WriteOptions = { sse: { mode: 'aws:kms' } };
    const v = new Verifier('etag');
    const h = heads(head('kms-etag', 10, 7));
    assert.deepEqual(await v.verify(OBJ, kms, h.fn), { etag: 'kms-etag', by: 'head' });
    assert.equal(h.calls, 1);
    assert.equal(v.opaqueEtags, false);
    const aes = heads(head(MD5));
    assert.equal((await v.verify(OBJ, { sse: { mode: 'AES256' } }, aes.fn)).by, 'etag');
  });

  it('verify: head sends HeadObject for every object and still compares the ETag', async () => {
    const v = new Verifier('head');
    const h = heads(head(MD5));
    assert.deepEqual(await v.verify(OBJ, {}, h.fn), { etag: MD5, by: 'head' });
    assert.equal(h.calls, 1);
    await assert.rejects(v.verify(OBJ, {}, heads(head(OTHER_MD5)).fn), failsVerify);
  });
});

describe('uploadOwner (the one rule for unfinished multipart uploads)', () => {
  const startedAt = 1_700_000_000_000;
  const record = (over: Partial<UploadRecord>): UploadRecord => ({
    id: 1,
    destination: { endpoint: '', bucket: 'b', key: 'k' },
    source: { path: '/f', size: 1, mtimeMs: 1, inode: 1 },
    mode: 'multipart',
    partSize: 5,
    partCount: 1,
    startedAt,
    owner: 'me',
    fileId: null,
    uploadId: null,
    state: 'active',
    etag: null,
    finishedAt: null,
    error: null,
    versionId: null,
    ...over,
  });
  const listed = (over: { key?: string; uploadId?: string; initiated?: number } = {}) => ({
    key: 'k',
    uploadId: 'u1',
    initiated: startedAt + 1000,
    ...over,
  });
  const known = (ids: string[]) => ({
    knowsUploadId: (id: string) => Promise.resolve(ids.includes(id)),
  });

  it('decides open, closed, intent and foreign', async () => {
    const open = record({ id: 2, uploadId: 'u1' });
    const intent = record({ id: 3 });
    assert.deepEqual(await uploadOwner(listed(), [open], known(['u1'])), {
      kind: 'open',
      record: open,
    });
    assert.deepEqual(await uploadOwner(listed(), [intent], known(['u1'])), { kind: 'closed' });
    assert.deepEqual(await uploadOwner(listed(), [intent], known([])), {
      kind: 'intent',
      record: intent,
    });
    const late = startedAt + UNJOURNALED_WINDOW_MS + 1;
    const early = startedAt - UNJOURNALED_WINDOW_MS - 1;
    for (const other of [
      listed({ key: 'other' }),
      listed({ initiated: late }),
      listed({ initiated: early }),
    ])
      assert.deepEqual(await uploadOwner(other, [intent], known([])), { kind: 'foreign' });
    assert.deepEqual(
      await uploadOwner(listed(), [record({ id: 4, mode: 'single' })], known([])),
      { kind: 'foreign' },
      'a single-PUT intent creates no multipart upload',
    );
    assert.deepEqual(
      await uploadOwner(
        listed({ initiated: startedAt + UNJOURNALED_WINDOW_MS }),
        [intent],
        known([]),
      ),
      { kind: 'intent', record: intent },
      'the window is inclusive',
    );
  });
});
