/**
 * The ObjectTarget contract, run against every real S3 implementation we have on loopback (Ceph RGW
 * always; Swift's s3api in CI). What the transfer engine relies on is exercised here through the
 * real adapter: integrity headers, multipart with paging, abort semantics, classification.
 */
import assert from 'node:assert/strict';
import { GetObjectAclCommand } from '@aws-sdk/client-s3';
import { getEventListeners } from 'node:events';
import { describe, it, before, after } from 'node:test';
import { md5HexToBase64, multipartEtag } from '../../src/domain/etag.js';
import { isAppError } from '../../src/errors/app-error.js';
import { buildS3Connection } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { md5Hex } from '../../src/transfer/upload-run.js';
import { createTestBucket, makeS3Client, type S3ServerInfo } from '../support/s3-server.js';

const MIB = 1024 * 1024;

/** Where real stores differ from AWS, declared per store so the suite asserts the exact behaviour. */
export interface TargetQuirks {
  /** Conditional PUT (If-None-Match: *) supported. */
  readonly conditionalPut: boolean;
  /** Highest part number accepted (AWS and RGW 10,000; Swift's s3api 1,000 by default). */
  readonly maxPartNumber: number;
  /** ListParts on a completed upload answers "gone" (RGW, AWS) rather than listing it (Swift). */
  readonly listPartsGoneAfterComplete: boolean;
  /** The error an unknown access key gets (Swift's tempauth cannot tell it from a bad signature). */
  readonly unknownKeyCode: 'ERR_S3_UNKNOWN_ACCESS_KEY' | 'ERR_S3_SIGNATURE_MISMATCH';
  /**
   * A canned ACL is stored (RGW, AWS), or accepted and dropped, the owner keeping FULL_CONTROL
   * alone (Swift's s3api with its default s3_acl = false).
   */
  readonly storesCannedAcl: boolean;
}

/**
 * How the target sends its requests: 'sdk' through the SDK's commands only, 'direct' with
 * PutObject, UploadPart and HeadObject on the direct path (object-store/s3/s3-direct.ts). Both must
 * behave the same, so the whole suite runs on each.
 */
type RequestPath = 'sdk' | 'direct';

function targetFor(
  path: RequestPath,
  info: S3ServerInfo,
  bucket: string,
  overrides: Partial<S3ServerInfo> = {},
): S3ObjectTarget {
  const i = { ...info, ...overrides };
  // the TLS RGW: virtual-hosted names over HTTPS, resolved in this process, verified with its CA
  const tls = i.client;
  const endpoint = tls?.endpoint ?? i.endpoint;
  const { client, direct } = buildS3Connection({
    endpoint,
    region: i.region,
    accessKeyId: i.accessKeyId,
    secretAccessKey: i.secretAccessKey,
    ...(tls === undefined
      ? {}
      : { forcePathStyle: tls.forcePathStyle, ca: tls.ca, resolve: tls.resolve }),
  });
  // Every connection gets the direct path (checksumMode when-supported aside): the suite must not
  // test the SDK twice by accident.
  assert.ok(direct !== undefined, 'the direct path is available');
  return new S3ObjectTarget({
    client,
    bucket,
    endpoint,
    ...(path === 'direct' ? { direct } : {}),
  });
}

export function runTargetConformance(
  name: string,
  server: () => Promise<S3ServerInfo>,
  quirks: TargetQuirks,
): void {
  for (const path of ['sdk', 'direct'] as const) runOn(path, name, server, quirks);
}

function runOn(
  path: RequestPath,
  name: string,
  server: () => Promise<S3ServerInfo>,
  quirks: TargetQuirks,
): void {
  describe(`ObjectTarget conformance: ${name} (${path} requests)`, () => {
    let info: S3ServerInfo;
    let bucket: { name: string; cleanup(): Promise<void> };
    let target: S3ObjectTarget;

    before(async () => {
      info = await server();
      bucket = await createTestBucket(info, `target-${name}-${path}`);
      target = targetFor(path, info, bucket.name);
    });
    after(async () => {
      target.destroy();
      await bucket.cleanup();
    });

    it('PutObject with Content-MD5 and metadata; HeadObject returns size, MD5 ETag and metadata', async () => {
      const body = Buffer.from('hello s3ferry\n');
      const { etag } = await target.putObject({
        key: 'a/b c.txt',
        body,
        contentMd5: md5HexToBase64(md5Hex(body)),
        metadata: { 's3ferry-intent': '42' },
        contentType: 'text/plain',
      });
      const head = await target.headObject('a/b c.txt');
      assert.equal(head?.size, body.length);
      assert.equal(head.etag, md5Hex(body));
      assert.equal(etag, md5Hex(body));
      assert.equal(head.metadata['s3ferry-intent'], '42');
      assert.equal(await target.headObject('missing/key'), undefined);
    });

    it('a body that does not match its Content-MD5 is refused, never stored', async () => {
      const body = Buffer.from('damaged on the way');
      await assert.rejects(
        target.putObject({
          key: 'bad-digest',
          body,
          contentMd5: md5HexToBase64(md5Hex(Buffer.from('original'))),
        }),
        (e) => isAppError(e) && e.kind === 'transient' && /digest|MD5/i.test(e.message),
      );
      assert.equal(await target.headObject('bad-digest'), undefined);
    });

    it('a metadata value HTTP cannot carry is a bad request, not a transient failure', async () => {
      const body = Buffer.from('café');
      const signal = new AbortController().signal;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await assert.rejects(
          target.putObject(
            {
              key: 'bad-metadata',
              body,
              contentMd5: md5HexToBase64(md5Hex(body)),
              metadata: { note: 'Café ☕' },
            },
            signal,
          ),
          (e) =>
            isAppError(e, 'ERR_S3_BAD_REQUEST') &&
            e.kind === 'permanent' &&
            /printable ASCII/.test(e.hint ?? ''),
        );
      }
      // Each refused request left nothing hooked on the caller's signal (node hooks it before it
      // checks the headers): retries of such a request would otherwise pile listeners up.
      assert.equal(getEventListeners(signal, 'abort').length, 0);
      assert.equal(await target.headObject('bad-metadata'), undefined);
    });

    it('multipart: parts, ListParts across pages, Complete, ETag as computed locally', async () => {
      const key = 'mp/object.bin';
      const id = await target.createMultipartUpload(key, { metadata: { 's3ferry-intent': '7' } });
      const p1 = Buffer.alloc(5 * MIB, 1);
      const p2 = Buffer.from('tail');
      const r1 = await target.uploadPart({
        key,
        uploadId: id,
        partNumber: 1,
        body: p1,
        contentMd5: md5HexToBase64(md5Hex(p1)),
      });
      const r2 = await target.uploadPart({
        key,
        uploadId: id,
        partNumber: 2,
        body: p2,
        contentMd5: md5HexToBase64(md5Hex(p2)),
      });
      assert.deepEqual(
        (await target.listParts(key, id)).map((p) => [p.partNumber, p.size, p.etag]),
        [
          [1, p1.length, r1.etag],
          [2, p2.length, r2.etag],
        ],
      );
      assert.ok(
        (await target.listMultipartUploads('mp/')).some((u) => u.uploadId === id && u.key === key),
      );
      await target.completeMultipartUpload(key, id, [
        { partNumber: 1, etag: r1.etag },
        { partNumber: 2, etag: r2.etag },
      ]);
      const head = await target.headObject(key);
      assert.equal(head?.size, p1.length + p2.length);
      assert.equal(head.etag, multipartEtag([md5Hex(p1), md5Hex(p2)]));
      assert.equal(head.metadata['s3ferry-intent'], '7');
      // the upload is gone now: ListParts says so in one code whatever the store answers
      if (quirks.listPartsGoneAfterComplete)
        await assert.rejects(target.listParts(key, id), (e) => isAppError(e, 'ERR_S3_UPLOAD_GONE'));
      await target.abortMultipartUpload(key, id); // idempotent
    });

    it('writes Cache-Control, Content-Disposition, Content-Encoding and a canned ACL, by PUT and by multipart', async () => {
      const write = {
        contentType: 'text/plain',
        cacheControl: 'max-age=3600, public',
        contentDisposition: 'attachment; filename="report.txt"',
        contentEncoding: 'identity',
        acl: 'public-read',
      } as const;
      const body = Buffer.from('headers\n');
      await target.putObject({
        key: 'headers/put.txt',
        body,
        contentMd5: md5HexToBase64(md5Hex(body)),
        ...write,
      });
      const id = await target.createMultipartUpload('headers/mp.txt', write);
      const { etag } = await target.uploadPart({
        key: 'headers/mp.txt',
        uploadId: id,
        partNumber: 1,
        body,
        contentMd5: md5HexToBase64(md5Hex(body)),
      });
      await target.completeMultipartUpload('headers/mp.txt', id, [{ partNumber: 1, etag }]);
      const client = makeS3Client(info);
      try {
        for (const key of ['headers/put.txt', 'headers/mp.txt']) {
          const head = await target.headObject(key);
          assert.equal(head?.contentType, write.contentType, key);
          assert.equal(head.cacheControl, write.cacheControl, key);
          assert.equal(head.contentDisposition, write.contentDisposition, key);
          assert.equal(head.contentEncoding, write.contentEncoding, key);
          const acl = await client.send(new GetObjectAclCommand({ Bucket: bucket.name, Key: key }));
          const publicRead = (acl.Grants ?? []).some(
            (g) => g.Grantee?.URI?.endsWith('/global/AllUsers') === true && g.Permission === 'READ',
          );
          assert.equal(
            publicRead,
            quirks.storesCannedAcl,
            `${key} public-read as the store promises: ${JSON.stringify(acl.Grants)}`,
          );
          if (!quirks.storesCannedAcl)
            assert.deepEqual(
              (acl.Grants ?? []).map((g) => g.Permission),
              ['FULL_CONTROL'],
            );
        }
      } finally {
        client.destroy();
      }
    });

    it('a big body is reported as the socket takes it (direct path), a small one not at all', async () => {
      const key = 'mp/progress.bin';
      const id = await target.createMultipartUpload(key, {});
      try {
        const big = Buffer.alloc(6 * MIB + 5, 3);
        const reported: number[] = [];
        await target.uploadPart({
          key,
          uploadId: id,
          partNumber: 1,
          body: big,
          contentMd5: md5HexToBase64(md5Hex(big)),
          onWritten: (n) => reported.push(n),
        });
        const small = Buffer.from('small body');
        const none: number[] = [];
        await target.putObject({
          key: 'progress-small.txt',
          body: small,
          contentMd5: md5HexToBase64(md5Hex(small)),
          onWritten: (n) => none.push(n),
        });
        assert.deepEqual(none, [], 'no per-chunk report for a small body');
        // The SDK's path reports nothing (the engine counts the part when it is accepted).
        if (path === 'sdk') assert.deepEqual(reported, []);
        else {
          assert.ok(reported.length > 1, `${reported.length} reports`);
          assert.equal(
            reported.reduce((a, b) => a + b, 0),
            big.length,
          );
        }
      } finally {
        await target.abortMultipartUpload(key, id);
      }
    });

    it('ListParts follows pagination (past 1,000 parts where the store allows them)', async () => {
      const key = 'mp/many-parts';
      const id = await target.createMultipartUpload(key, {});
      const count = Math.min(1005, quirks.maxPartNumber);
      const body = Buffer.from('x');
      const md5 = md5HexToBase64(md5Hex(body));
      let next = 1;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next <= count) {
            const partNumber = next;
            next += 1;
            await target.uploadPart({ key, uploadId: id, partNumber, body, contentMd5: md5 });
          }
        }),
      );
      const parts = await target.listParts(key, id);
      assert.equal(parts.length, count);
      assert.deepEqual(
        parts.map((p) => p.partNumber),
        Array.from({ length: count }, (_, i) => i + 1),
      );
      await target.abortMultipartUpload(key, id);
      assert.ok(!(await target.listMultipartUploads('mp/many')).some((u) => u.uploadId === id));
    });

    it(`conditional PUT (If-None-Match: *) ${quirks.conditionalPut ? 'refuses an existing key' : 'is reported clearly where unsupported'}`, async () => {
      const body = Buffer.from('v1');
      const put = (): Promise<unknown> =>
        target.putObject({
          key: 'cond',
          body,
          contentMd5: md5HexToBase64(md5Hex(body)),
          ifNoneMatch: true,
        });
      await put().catch(() => undefined);
      if (quirks.conditionalPut)
        await assert.rejects(put(), (e) => isAppError(e, 'ERR_S3_PRECONDITION_FAILED'));
      else await assert.rejects(put(), (e) => isAppError(e) && e.message.length > 0);
    });

    it('CopyObject copies server-side, keys with spaces and unicode included', async () => {
      const body = Buffer.from('copy me');
      await target.putObject({
        key: 'copy src/ü.txt',
        body,
        contentMd5: md5HexToBase64(md5Hex(body)),
      });
      await target.copyObject('copy src/ü.txt', 'copy dst/ü #2.txt');
      const head = await target.headObject('copy dst/ü #2.txt');
      assert.equal(head?.size, body.length);
      assert.equal(head.etag, md5Hex(body));
    });

    it('probe names the cause: missing bucket, unknown key, wrong secret', async () => {
      const missing = targetFor(path, info, 's3ferry-missing-bucket-x');
      const badKey = targetFor(path, info, bucket.name, { accessKeyId: 'AKIAUNKNOWN000000000' });
      const badSecret = targetFor(path, info, bucket.name, { secretAccessKey: 'nope' });
      try {
        await target.probe();
        await assert.rejects(missing.probe(), (e) => isAppError(e, 'ERR_S3_NO_SUCH_BUCKET'));
        await assert.rejects(badKey.probe(), (e) => isAppError(e, quirks.unknownKeyCode));
        await assert.rejects(badSecret.probe(), (e) => isAppError(e, 'ERR_S3_SIGNATURE_MISMATCH'));
      } finally {
        missing.destroy();
        badKey.destroy();
        badSecret.destroy();
      }
    });

    it('uploads name the cause too: missing bucket, unknown key, wrong secret, upload gone', async () => {
      const body = Buffer.from('refused');
      const put = (t: S3ObjectTarget): Promise<unknown> =>
        t.putObject({ key: 'refused', body, contentMd5: md5HexToBase64(md5Hex(body)) });
      const missing = targetFor(path, info, 's3ferry-missing-bucket-x');
      const badKey = targetFor(path, info, bucket.name, { accessKeyId: 'AKIAUNKNOWN000000000' });
      const badSecret = targetFor(path, info, bucket.name, { secretAccessKey: 'nope' });
      try {
        await assert.rejects(put(missing), (e) => isAppError(e, 'ERR_S3_NO_SUCH_BUCKET'));
        await assert.rejects(put(badKey), (e) => isAppError(e, quirks.unknownKeyCode));
        await assert.rejects(put(badSecret), (e) => isAppError(e, 'ERR_S3_SIGNATURE_MISMATCH'));
        const id = await target.createMultipartUpload('gone', {});
        await target.abortMultipartUpload('gone', id);
        await assert.rejects(
          target.uploadPart({
            key: 'gone',
            uploadId: id,
            partNumber: 1,
            body,
            contentMd5: md5HexToBase64(md5Hex(body)),
          }),
          (e) =>
            isAppError(e) && e.kind !== 'transient' && /gone|no longer|NoSuch/i.test(e.message),
        );
      } finally {
        missing.destroy();
        badKey.destroy();
        badSecret.destroy();
      }
    });

    it('odd keys (spaces, unicode, reserved characters) are stored under exactly that key', async () => {
      const keys = [
        "odd/a b+c&d=e?f#g %20 (1)!*'.txt",
        'odd/ünï cødé/日本語.bin',
        'odd/~tilde/.dot/..',
      ];
      for (const key of keys) {
        const body = Buffer.from(`body of ${key}`);
        const { etag } = await target.putObject({
          key,
          body,
          contentMd5: md5HexToBase64(md5Hex(body)),
          metadata: { 's3ferry-intent': '9' },
        });
        assert.equal(etag, md5Hex(body));
        const head = await target.headObject(key);
        assert.equal(head?.size, body.length, key);
        assert.equal(head.etag, md5Hex(body));
        assert.equal(head.metadata['s3ferry-intent'], '9');
      }
      // DeleteObject goes through the SDK: the direct path stored each object under the key the
      // SDK names, or the HEAD below would still find it.
      for (const key of keys) await target.deleteObject(key);
      for (const key of keys) assert.equal(await target.headObject(key), undefined);
    });

    it('a cancelled request rejects with ERR_CANCELLED and stores nothing', async () => {
      const body = Buffer.from('never sent');
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(
        target.putObject(
          { key: 'cancelled', body, contentMd5: md5HexToBase64(md5Hex(body)) },
          ac.signal,
        ),
        (e) => isAppError(e, 'ERR_CANCELLED'),
      );
      assert.equal(await target.headObject('cancelled'), undefined);
    });
  });
}
