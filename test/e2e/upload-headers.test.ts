/**
 * Cache-Control, Content-Disposition, Content-Encoding and a canned ACL on every object (issue 17):
 * `--cache-control`, `--content-disposition`, `--content-encoding`, `--acl` of `s3ferry upload`
 * (a single PUT and a multipart upload), and the same options of a destination in s3ferry.yaml,
 * sent by the agent. Read back from the real RGW with HeadObject and GetObjectAcl.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GetObjectAclCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { EXIT } from '../../src/errors/codes.js';
import { freePort, startAgentProcess, waitFor } from '../support/agent-process.js';
import { cliEnv, runCli, writeRandomFile } from '../support/cli.js';
import { S3Fixture } from '../support/s3-fixture.js';

const MIB = 1024 * 1024;

describe('object headers and canned ACL', () => {
  const fx = S3Fixture.use('headers');

  async function headersOf(key: string): Promise<Record<string, string | undefined>> {
    const head = await fx.client.send(new HeadObjectCommand({ Bucket: fx.bucket.name, Key: key }));
    const acl = await fx.client.send(new GetObjectAclCommand({ Bucket: fx.bucket.name, Key: key }));
    const publicRead = (acl.Grants ?? []).some(
      (g) => g.Grantee?.URI?.endsWith('/global/AllUsers') === true && g.Permission === 'READ',
    );
    return {
      cacheControl: head.CacheControl,
      contentDisposition: head.ContentDisposition,
      contentEncoding: head.ContentEncoding,
      acl: publicRead ? 'public-read' : 'private',
    };
  }

  const WANTED = {
    cacheControl: 'max-age=600, public',
    contentDisposition: 'attachment',
    contentEncoding: 'identity',
    acl: 'public-read',
  };

  it('upload sends them on a single PUT and on a multipart upload', async () => {
    const dir = join(fx.tmp.path, 'cli');
    await mkdir(dir);
    await writeFile(join(dir, 'small.txt'), 'small\n');
    await writeRandomFile(join(dir, 'big.bin'), 9 * MIB);
    const res = await runCli(
      [
        'upload',
        dir,
        '--to',
        `s3://${fx.bucket.name}/cli/`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, 'cli.db'),
        '--cache-control',
        WANTED.cacheControl,
        '--content-disposition',
        WANTED.contentDisposition,
        '--content-encoding',
        WANTED.contentEncoding,
        '--acl',
        WANTED.acl,
      ],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await headersOf('cli/small.txt'), WANTED);
    assert.deepEqual(await headersOf('cli/big.bin'), WANTED);
  });

  it('refuses an ACL S3 does not know and a value HTTP cannot carry, before any work', async () => {
    const file = join(fx.tmp.path, 'bad.txt');
    await writeFile(file, 'x\n');
    const common = ['--to', `s3://${fx.bucket.name}/bad/`, '--endpoint-url', fx.info.endpoint];
    const acl = await runCli(['upload', file, ...common, '--acl', 'public'], cliEnv(fx.info));
    assert.equal(acl.code, EXIT.usage);
    assert.match(acl.stderr, /--acl.*public-read/);
    const disposition = await runCli(
      ['upload', file, ...common, '--content-disposition', 'attachment; filename="café.txt"'],
      cliEnv(fx.info),
    );
    assert.equal(disposition.code, EXIT.usage);
    assert.match(disposition.stderr, /--content-disposition must be printable ASCII/);
  });

  it('the agent sends the options of its destination in s3ferry.yaml', async () => {
    const dir = join(fx.tmp.path, 'agent');
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    await writeFile(join(inbox, 'page.html'), '<p>hi</p>\n');
    const yaml = `api:
  port: ${await freePort()}
journal: ${JSON.stringify(join(dir, 'journal.db'))}
jobs:
  - name: pages
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    destination:
      bucket: ${fx.bucket.name}
      prefix: agent/
      endpoint: ${fx.info.endpoint}
      cacheControl: ${JSON.stringify(WANTED.cacheControl)}
      contentDisposition: ${WANTED.contentDisposition}
      contentEncoding: ${WANTED.contentEncoding}
      acl: ${WANTED.acl}
`;
    const agent = await startAgentProcess(dir, yaml, fx.info);
    try {
      await waitFor(
        'the file done',
        async () =>
          (await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status')).files
            .done === 1,
      );
    } finally {
      await agent.stop();
    }
    assert.deepEqual(await headersOf('agent/page.html'), WANTED);
  });
});
