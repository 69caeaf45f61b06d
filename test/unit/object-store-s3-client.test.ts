/**
 * What buildS3Client puts on the wire, seen by a plain HTTP server on loopback: uploads are signed
 * UNSIGNED-PAYLOAD (no second hash of the bytes) only when they carry Content-MD5, and the SDK
 * adds no CRC32 of its own unless checksumMode is when-supported.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { buildS3Client, type S3ConnectionSettings } from '../../src/object-store/s3/s3-client.js';

interface Seen {
  readonly method: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly bytes: number;
}

const BODY = Buffer.from('hello');
const BODY_MD5 = 'XUFAKrxLKna5cZ2REBfFkg==';

describe('buildS3Client', () => {
  let server: http.Server;
  let seen: Seen[];
  let endpoint: string;

  before(async () => {
    seen = [];
    server = http.createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', headers: req.headers, bytes });
        res.setHeader('ETag', '"5d41402abc4b2a76b9719d911017c592"');
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(() => {
    server.close();
  });

  async function send(
    settings: Partial<S3ConnectionSettings>,
    run: (client: S3Client) => Promise<unknown>,
  ): Promise<Seen> {
    const client = buildS3Client({
      endpoint,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      ...settings,
    });
    try {
      seen = [];
      await run(client);
      const [only] = seen;
      assert.ok(only !== undefined && seen.length === 1);
      return only;
    } finally {
      client.destroy();
    }
  }

  const put = (md5?: string) => (c: S3Client) =>
    c.send(
      new PutObjectCommand({
        Bucket: 'b',
        Key: 'k',
        Body: BODY,
        ...(md5 === undefined ? {} : { ContentMD5: md5 }),
      }),
    );

  it('signs PutObject and UploadPart with Content-MD5 as UNSIGNED-PAYLOAD, adding no CRC32', async () => {
    const p = await send({}, put(BODY_MD5));
    const u = await send({}, (c) =>
      c.send(
        new UploadPartCommand({
          Bucket: 'b',
          Key: 'k',
          UploadId: 'u',
          PartNumber: 1,
          Body: BODY,
          ContentMD5: BODY_MD5,
        }),
      ),
    );
    for (const r of [p, u]) {
      assert.equal(r.method, 'PUT');
      assert.equal(r.bytes, BODY.length);
      assert.equal(r.headers['content-md5'], BODY_MD5);
      assert.equal(r.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
      assert.match(String(r.headers.authorization), /SignedHeaders=[^,]*content-md5/);
      assert.match(String(r.headers.authorization), /SignedHeaders=[^,]*x-amz-content-sha256/);
      assert.deepEqual(
        Object.keys(r.headers).filter((h) => h.startsWith('x-amz-checksum-')),
        [],
      );
    }
  });

  it('keeps the signed payload hash on a body without Content-MD5, and on other requests', async () => {
    const p = await send({}, put());
    assert.match(String(p.headers['x-amz-content-sha256']), /^[0-9a-f]{64}$/);
    const h = await send({}, (c) => c.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })));
    assert.match(String(h.headers['x-amz-content-sha256']), /^[0-9a-f]{64}$/);
  });

  it('adds the flexible checksum only with checksumMode when-supported', async () => {
    const r = await send({ checksumMode: 'when-supported' }, put(BODY_MD5));
    assert.equal(r.headers['content-md5'], BODY_MD5);
    assert.ok(
      Object.keys(r.headers).some((h) => h.startsWith('x-amz-checksum-')),
      JSON.stringify(r.headers),
    );
  });
});
