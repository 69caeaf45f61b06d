/**
 * The direct path on the wire where no RGW can show it: Amazon S3's names and answers, and the
 * proxy's bypass list per host. AWS's hosts are reached the only way a test can reach
 * *.amazonaws.com:443, through a CONNECT proxy whose tunnels end at an HTTPS server on loopback; it
 * presents a certificate for *.s3.eu-west-1.amazonaws.com from a CA the test makes, records what
 * arrives (host, path, SNI, signing region, which path sent it) and answers as S3 does. The SDK
 * itself is real and unchanged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import { buildS3Connection } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { resolverFor } from '../../src/object-store/s3/transport.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { makeTestCa } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const REGION = 'eu-west-1';
const BODY = Buffer.from('hello');
const MD5 = createHash('md5').update(BODY).digest();
const put = { key: 'dir/a b.txt', body: BODY, contentMd5: MD5.toString('base64') };

interface Seen {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** The name the client asked for in its TLS handshake. */
  readonly servername: string | false;
  /** The region of the signature's credential scope. */
  readonly region: string | undefined;
  /** 'direct' (s3ferry's user agent) or 'sdk'. */
  readonly by: 'direct' | 'sdk';
}

type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** What S3 answers a good request: an ETag for a PUT, the head for a HEAD, 200 for the rest. */
const ok: Answer = (req, res) => {
  res.setHeader('ETag', `"${MD5.toString('hex')}"`);
  if (req.method === 'HEAD') res.setHeader('Content-Length', String(BODY.length));
  res.end();
};

/** An S3 error answer naming the bucket's region (us-west-2) in the body, as AWS does. */
function errorAnswer(status: number, code: string, headers: Record<string, string> = {}): Answer {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/xml', ...headers });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
        `<Message>as AWS says it (${code})</Message><Region>us-west-2</Region>` +
        '<RequestId>r</RequestId></Error>',
    );
  };
}

/** An S3-like observer: records each request and answers with `answer.current`. */
function observer(seen: Seen[], answer: { current: Answer }): http.RequestListener {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      seen.push({
        method: req.method ?? '',
        host: String(req.headers.host),
        path: req.url ?? '',
        servername: (req.socket as Partial<TLSSocket>).servername ?? false,
        region: /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\//.exec(auth)?.[1],
        by: String(req.headers['user-agent']).startsWith('s3ferry/') ? 'direct' : 'sdk',
      });
      answer.current(req, res);
    });
  };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('direct path on Amazon S3 names (through a CONNECT proxy)', () => {
  const seen: Seen[] = [];
  const answer = { current: ok };
  let tmp: { path: string; cleanup(): Promise<void> };
  let server: https.Server;
  let proxy: ForwardProxy;
  let ca: string;

  before(async () => {
    tmp = await makeTmpDir('aws-wire');
    const files = await makeTestCa(join(tmp.path, 'ca'), [`s3.${REGION}.amazonaws.com`]);
    ca = await readFile(files.caFile, 'utf8');
    server = https.createServer(
      { key: await readFile(files.keyFile), cert: await readFile(files.certFile) },
      observer(seen, answer),
    );
    const port = await listen(server);
    proxy = await startForwardProxy({ tunnelTo: () => ({ host: '127.0.0.1', port }) });
  });
  after(async () => {
    await proxy.close();
    server.closeAllConnections();
    server.close();
    await tmp.cleanup();
  });
  beforeEach(() => {
    seen.length = 0;
    proxy.seen.length = 0;
    answer.current = ok;
  });

  function target(bucket: string): S3ObjectTarget {
    const { client, direct } = buildS3Connection({
      region: REGION,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      proxy: proxy.url,
      ca,
    });
    return new S3ObjectTarget({ client, direct, bucket, endpoint: '', region: REGION });
  }

  it('sends PutObject and HeadObject itself to BUCKET.s3.REGION.amazonaws.com, signed for the region, SNI set', async () => {
    const t = target('media-bucket');
    try {
      assert.equal((await t.putObject(put)).etag, MD5.toString('hex'));
      assert.equal((await t.headObject(put.key))?.size, BODY.length);
    } finally {
      t.destroy();
    }
    const host = `media-bucket.s3.${REGION}.amazonaws.com`;
    assert.deepEqual(seen, [
      {
        method: 'PUT',
        host,
        path: '/dir/a%20b.txt',
        servername: host,
        region: REGION,
        by: 'direct',
      },
      {
        method: 'HEAD',
        host,
        path: '/dir/a%20b.txt',
        servername: host,
        region: REGION,
        by: 'direct',
      },
    ]);
    assert.deepEqual(proxy.seen, [`CONNECT ${host}:443`]);
  });

  it('a bucket name with dots goes path-style to s3.REGION.amazonaws.com, as the SDK sends it', async () => {
    const t = target('my.dotted.bucket');
    try {
      await t.putObject(put);
    } finally {
      t.destroy();
    }
    const host = `s3.${REGION}.amazonaws.com`;
    assert.deepEqual(
      seen.map((s) => [s.host, s.path, s.servername, s.by]),
      [[host, '/my.dotted.bucket/dir/a%20b.txt', host, 'direct']],
    );
  });

  const redirects: [string, Answer][] = [
    [
      '301 PermanentRedirect',
      errorAnswer(301, 'PermanentRedirect', { 'x-amz-bucket-region': 'us-west-2' }),
    ],
    [
      '307 TemporaryRedirect',
      errorAnswer(307, 'TemporaryRedirect', { 'x-amz-bucket-region': 'us-west-2' }),
    ],
    ['400 AuthorizationHeaderMalformed', errorAnswer(400, 'AuthorizationHeaderMalformed')],
  ];
  for (const [label, redirect] of redirects) {
    it(`${label}: handed to the SDK once, a wrong region naming the bucket's, never a loop`, async () => {
      answer.current = redirect;
      const t = target('elsewhere');
      try {
        for (let attempt = 1; attempt <= 2; attempt += 1) {
          await assert.rejects(
            t.putObject(put),
            (e) =>
              isAppError(e, 'ERR_S3_WRONG_REGION') &&
              e.kind === 'fatal' &&
              /us-west-2/.test(`${e.message} ${e.hint ?? ''}`),
          );
        }
      } finally {
        t.destroy();
      }
      // the direct path's one request, then the SDK's own for each attempt
      assert.deepEqual(
        seen.map((s) => s.by),
        ['direct', 'sdk', 'sdk'],
      );
    });
  }
});

describe('NO_PROXY decided per host (virtual-hosted names)', () => {
  const seen: Seen[] = [];
  let server: http.Server;
  let proxy: ForwardProxy;
  let endpoint: string;
  const resolve = [{ host: 's3.test', address: '127.0.0.1' }];

  before(async () => {
    server = http.createServer(observer(seen, { current: ok }));
    endpoint = `http://s3.test:${await listen(server)}`;
    proxy = await startForwardProxy({ lookup: resolverFor(resolve) });
  });
  after(async () => {
    await proxy.close();
    server.closeAllConnections();
    server.close();
  });

  it('a bucket named in NO_PROXY is reached directly, another through the proxy, on both paths', async () => {
    const { client, direct } = buildS3Connection({
      endpoint,
      forcePathStyle: false,
      region: 'us-east-1',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      proxy: proxy.url,
      noProxy: ['near.s3.test'],
      resolve,
    });
    const targets = ['near', 'far'].map(
      (bucket) => new S3ObjectTarget({ client, direct, bucket, endpoint }),
    );
    try {
      for (const t of targets) {
        await t.putObject(put);
        await t.probe();
      }
    } finally {
      client.destroy();
    }
    const port = new URL(endpoint).port;
    assert.deepEqual(
      seen.map((s) => [s.method, s.host, s.by]),
      [
        ['PUT', `near.s3.test:${port}`, 'direct'],
        ['HEAD', `near.s3.test:${port}`, 'sdk'],
        ['PUT', `far.s3.test:${port}`, 'direct'],
        ['HEAD', `far.s3.test:${port}`, 'sdk'],
      ],
    );
    assert.deepEqual(proxy.seen, [
      `PUT http://far.s3.test:${port}/dir/a%20b.txt`,
      `HEAD http://far.s3.test:${port}/`,
    ]);
  });
});
