/**
 * The rarer branches of the resume protocol (DESIGN.md item 6), driven in-process against the real
 * RGW and a real SQLite journal: each test builds the state a crash at a given point leaves behind,
 * then runs the uploader and checks the object, the server's uploads and the journal.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { md5HexToBase64 } from '../../src/domain/etag.js';
import { isAppError } from '../../src/errors/app-error.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import type { FileSystem } from '../../src/transfer/file-system.js';
import { partRange } from '../../src/domain/part-size.js';
import { INTENT_METADATA_KEY } from '../../src/transfer/transfer-types.js';
import { md5Hex } from '../../src/transfer/upload-run.js';
import { fileSha256, objectDigest, writeRandomFile } from '../support/cli.js';
import { makeEngine, TEST_CONFIG, type Engine } from '../support/engine.js';
import {
  createTestBucket,
  listAllMultipartUploads,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MIB = 1024 * 1024;

describe('resume protocol branches', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let n = 0;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'protocol');
    tmp = await makeTmpDir('protocol');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  async function setup(size: number): Promise<{
    engine: Engine;
    file: string;
    key: string;
    intent: () => Promise<{ id: number; startedAt: number }>;
  }> {
    n += 1;
    const file = join(tmp.path, `f${n}.bin`);
    await writeRandomFile(file, size);
    const engine = await makeEngine(info, bucket.name, join(tmp.path, `j${n}.db`));
    const key = `p${n}/f.bin`;
    const intent = async (): Promise<{ id: number; startedAt: number }> => {
      const st = await engine.target.headObject(key); // also warms the connection
      assert.equal(st, undefined);
      const { stat } = await import('node:fs/promises');
      const s = await stat(file);
      const parts = Math.ceil(size / TEST_CONFIG.partSize);
      return engine.journal.beginUpload({
        destination: { endpoint: info.endpoint, bucket: bucket.name, key },
        source: { path: file, size: s.size, mtimeMs: s.mtimeMs, inode: s.ino },
        mode: 'multipart',
        partSize: TEST_CONFIG.partSize,
        partCount: parts,
        startedAt: Date.now(),
        owner: 'crashed:1',
      });
    };
    return { engine, file, key, intent };
  }

  const uploadsOn = async (key: string): Promise<string[]> =>
    (await listAllMultipartUploads(client, bucket.name))
      .filter((u) => u.key === key)
      .map((u) => u.uploadId);

  it('crash between CreateMultipartUpload and the journal write: the unrecorded upload is adopted', async () => {
    const { engine, file, key, intent } = await setup(12 * MIB);
    try {
      const rec = await intent();
      const created = await engine.target.createMultipartUpload(key, {
        metadata: { [INTENT_METADATA_KEY]: String(rec.id) },
      });
      const result = await engine.service.upload({ path: file, key });
      assert.equal(result.resumed, true);
      assert.ok(
        engine.events.some((e) => e.type === 'upload.adopted' && e.data?.uploadId === created),
      );
      assert.equal((await engine.journal.getUpload(rec.id))?.state, 'verified');
      assert.equal((await objectDigest(client, bucket.name, key)).sha256, await fileSha256(file));
      assert.deepEqual(await uploadsOn(key), []);
    } finally {
      await engine.close();
    }
  });

  it('several unrecorded uploads on our key after an intent: all aborted, file uploaded afresh', async () => {
    const { engine, file, key, intent } = await setup(6 * MIB);
    try {
      await intent();
      await engine.target.createMultipartUpload(key, {});
      await engine.target.createMultipartUpload(key, {});
      assert.equal((await uploadsOn(key)).length, 2);
      const result = await engine.service.upload({ path: file, key });
      assert.equal(result.partsReused, 0);
      assert.deepEqual(await uploadsOn(key), []);
      assert.equal((await objectDigest(client, bucket.name, key)).sha256, await fileSha256(file));
    } finally {
      await engine.close();
    }
  });

  it('crash after Complete but before verification: verified without sending anything', async () => {
    const { engine, file, key, intent } = await setup(11 * MIB);
    try {
      const rec = await intent();
      const uploadId = await engine.target.createMultipartUpload(key, {
        metadata: { [INTENT_METADATA_KEY]: String(rec.id) },
      });
      await engine.journal.recordUploadId(rec.id, uploadId);
      const bytes = await readFile(file);
      const parts = [];
      for (let p = 1; p <= 3; p += 1) {
        const { start, end } = partRange(p, TEST_CONFIG.partSize, bytes.length);
        const body = bytes.subarray(start, end);
        const md5 = md5Hex(body);
        const { etag } = await engine.target.uploadPart({
          key,
          uploadId,
          partNumber: p,
          body,
          contentMd5: md5HexToBase64(md5),
        });
        await engine.journal.recordPart(rec.id, { partNumber: p, size: body.length, etag, md5 });
        parts.push({ partNumber: p, etag });
      }
      await engine.target.completeMultipartUpload(key, uploadId, parts);
      await engine.journal.markCompleted(rec.id, null);
      const result = await engine.service.upload({ path: file, key });
      assert.equal(result.partsSent, 0);
      assert.equal(result.resumed, true);
      assert.match(result.etag, /-3$/);
      assert.equal((await engine.journal.getUpload(rec.id))?.state, 'verified');
    } finally {
      await engine.close();
    }
  });

  it('our upload vanished from the server (aborted elsewhere): started afresh, nothing torn', async () => {
    const { engine, file, key, intent } = await setup(11 * MIB);
    try {
      const rec = await intent();
      const uploadId = await engine.target.createMultipartUpload(key, {});
      await engine.journal.recordUploadId(rec.id, uploadId);
      await engine.target.abortMultipartUpload(key, uploadId);
      const result = await engine.service.upload({ path: file, key });
      assert.equal(result.partsReused, 0);
      assert.equal((await engine.journal.getUpload(rec.id))?.state, 'aborted');
      assert.equal((await objectDigest(client, bucket.name, key)).sha256, await fileSha256(file));
    } finally {
      await engine.close();
    }
  });

  it("never aborts another client's multipart upload on the same key", async () => {
    const { engine, file, key } = await setup(7 * MIB);
    try {
      const foreign = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: key }),
      );
      await engine.service.upload({ path: file, key });
      assert.deepEqual(await uploadsOn(key), [foreign.UploadId]);
    } finally {
      await engine.close();
    }
  });

  it('a part the server accepted but the journal missed is adopted by its MD5, not sent again', async () => {
    const { engine, file, key, intent } = await setup(16 * MIB);
    try {
      const rec = await intent();
      const uploadId = await engine.target.createMultipartUpload(key, {});
      await engine.journal.recordUploadId(rec.id, uploadId);
      const bytes = await readFile(file);
      const { start, end } = partRange(2, TEST_CONFIG.partSize, bytes.length);
      const body = bytes.subarray(start, end);
      await engine.target.uploadPart({
        key,
        uploadId,
        partNumber: 2,
        body,
        contentMd5: md5HexToBase64(md5Hex(body)),
      }); // not journaled
      const result = await engine.service.upload({ path: file, key });
      assert.equal(result.partsReused, 1);
      assert.equal(result.partsSent, 3);
      assert.equal((await objectDigest(client, bucket.name, key)).sha256, await fileSha256(file));
    } finally {
      await engine.close();
    }
  });

  it('a file that grows during its upload is never published torn: the upload starts afresh', async () => {
    n += 1;
    const file = join(tmp.path, `growing${n}.bin`);
    await writeRandomFile(file, 30 * MIB);
    const engine = await makeEngine(info, bucket.name, join(tmp.path, `g${n}.db`), {
      bwlimit: 20 * MIB,
    });
    const key = `grow${n}/f.bin`;
    try {
      const uploading = engine.service.upload({ path: file, key });
      // once the first part is in, the writer appends more
      for (;;) {
        const open = await engine.journal.listOpenUploads();
        const first = open[0];
        if (first !== undefined && (await engine.journal.listParts(first.id)).length > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await appendFile(file, Buffer.alloc(3 * MIB, 7));
      const result = await uploading;
      assert.ok(
        engine.events.some((e) => e.type === 'upload.restarted'),
        'the change was noticed',
      );
      assert.equal(result.size, 33 * MIB);
      const got = await objectDigest(client, bucket.name, key);
      assert.equal(got.size, 33 * MIB);
      assert.equal(got.sha256, await fileSha256(file), 'the object is the whole final file');
      assert.deepEqual(await uploadsOn(key), [], 'the abandoned upload was aborted');
    } finally {
      await engine.close();
    }
  });

  void it('a file deleted after its multipart upload was created is failed, and its upload aborted', async () => {
    n += 1;
    const file = join(tmp.path, `vanishing${n}.bin`);
    await writeRandomFile(file, 12 * MIB);
    // The real file system, except that the file is really deleted just before it is opened for
    // its parts: after the stat that chose multipart and after CreateMultipartUpload.
    const vanishing: FileSystem = {
      ...nodeFileSystem,
      open: async (path) => {
        if (path === file) await rm(path);
        return nodeFileSystem.open(path);
      },
    };
    const engine = await makeEngine(info, bucket.name, join(tmp.path, `v${n}.db`), {}, vanishing);
    const key = `vanish${n}/f.bin`;
    try {
      await assert.rejects(engine.service.upload({ path: file, key }), (err) => {
        assert.ok(isAppError(err), String(err));
        assert.equal(err.code, 'ERR_FILE_NOT_FOUND');
        return true;
      });
      assert.deepEqual(await uploadsOn(key), [], 'no multipart upload is left on the server');
      assert.deepEqual(
        await engine.journal.listOpenUploads(),
        [],
        'the journal holds no open upload for a resume that cannot come',
      );
      assert.equal(await engine.target.headObject(key), undefined, 'nothing was published');
    } finally {
      await engine.close();
    }
  });
});
