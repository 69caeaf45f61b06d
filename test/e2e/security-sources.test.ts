/**
 * What a running agent takes from its sources, tried as an attacker who may write a source would
 * (issue 15, items 4, 5, 6 and 12), on the real agent process against RGW:
 * - `ln -s /etc/s3ferry/agent.yaml src/x.txt`: not uploaded; a `source.link-refused` event names
 *   the target and the fix, once, however many rescans meet the link; a link inside is taken;
 * - FIFOs renamed over four files while their multipart uploads are being created (the answer to
 *   CreateMultipartUpload held back by the fault proxy): each is parked with the cause, nothing
 *   is uploaded, other files still go, and SIGTERM still stops the agent;
 * - a file whose name is not valid UTF-8, created while the agent runs: reported at once, not at
 *   the next rescan (an hour away here);
 * - a backfill glob that makes a backtracking engine stall: answered, with the agent responsive.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants, closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { writeRandomFile } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  createTestBucket,
  listAllMultipartUploads,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MIB = 1024 * 1024;

interface EventRow {
  type: string;
  level: string;
  message: string;
  path?: string;
}
interface FileRow {
  path: string;
  state: string;
  reason: { code: string; message: string; hint: string | null } | null;
}

describe('sources under attack: links, FIFOs, odd names, stalling globs', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let proxy: FaultProxy;
  let agent: AgentProcess | undefined;
  let inbox: string;
  let secrets: string;
  const fifos: string[] = [];

  const keys = async (): Promise<string[]> =>
    (await listAllObjects(client, bucket.name)).map((o) => o.key);
  const events = async (): Promise<EventRow[]> =>
    (await live().api<{ items: EventRow[] }>('GET', '/api/v1/events?limit=1000')).items;
  const live = (): AgentProcess => {
    assert.ok(agent !== undefined, 'the agent runs');
    return agent;
  };

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'sec-sources');
    tmp = await makeTmpDir('sec-sources');
    inbox = join(tmp.path, 'inbox');
    secrets = join(tmp.path, 'etc-s3ferry');
    await mkdir(inbox);
    await mkdir(secrets);
    await writeFile(join(secrets, 'agent.yaml'), 'secretAccessKey: never-in-the-bucket\n');
    proxy = await startFaultProxy(info.endpoint);
    const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: sec
    sources: [${JSON.stringify(inbox)}]
    settle: 500ms
    rescanInterval: 1h
    destination:
      bucket: ${bucket.name}
      endpoint: ${proxy.url}
      partSize: 5MiB
      multipartThreshold: 5MiB
      concurrency: 4
`;
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
  });
  after(async () => {
    if (agent?.child.exitCode === null) await agent.kill();
    // without the fix, opens of the FIFOs still wait for a writer in the agent: it was killed
    for (const f of fifos) {
      try {
        closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // nobody reads it
      }
    }
    await proxy.close();
    client.destroy();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('a link out of the source is refused once with the reason; a link inside is taken', async () => {
    await writeFile(join(inbox, 'real.txt'), 'an ordinary file\n');
    await symlink(join(inbox, 'real.txt'), join(inbox, 'alias.txt'));
    await symlink(join(secrets, 'agent.yaml'), join(inbox, 'x.txt'));
    await waitFor('real.txt and alias.txt uploaded', async () => {
      const k = await keys();
      return k.includes('real.txt') && k.includes('alias.txt');
    });
    const refused = await waitFor('the refusal', async () => {
      const found = (await events()).filter((e) => e.type === 'source.link-refused');
      return found.length > 0 ? found : undefined;
    });
    // once per link (the rescans' side of it is unit/sources-links)
    assert.equal(refused.length, 1, JSON.stringify(refused));
    const first = refused[0];
    assert.ok(first !== undefined);
    assert.equal(first.level, 'warn');
    assert.match(
      first.message,
      /x\.txt: a symbolic link to .*etc-s3ferry\/agent\.yaml, outside the job's sources: not uploaded \(symlinks: inside\)\. Fix: /,
    );
    assert.ok(!(await keys()).includes('x.txt'), 'the configuration never reaches the bucket');
  });

  it('FIFOs renamed over files while their uploads are created: parked, and SIGTERM still stops the agent', async () => {
    const names = ['f1.bin', 'f2.bin', 'f3.bin', 'f4.bin'];
    proxy.addRule({
      match: (r) => r.operation === 'CreateMultipartUpload' && names.includes(r.key),
      fault: { kind: 'delay', ms: 4000, phase: 'response' },
    });
    for (const n of names) await writeRandomFile(join(inbox, n), 6 * MIB);
    for (const n of names) {
      await proxy.waitFor((e) => e.operation === 'CreateMultipartUpload' && e.key === n, 120_000);
      const path = join(inbox, n);
      execFileSync('mkfifo', [`${path}.fifo`]);
      await rename(`${path}.fifo`, path);
      fifos.push(path);
    }
    const parked = await waitFor('the four parked', async () => {
      const rows = (await live().api<{ items: FileRow[] }>('GET', '/api/v1/queue?state=parked'))
        .items;
      const ours = rows.filter((r) => names.some((n) => r.path.endsWith(`/${n}`)));
      return ours.length === 4 ? ours : undefined;
    });
    for (const row of parked) {
      assert.equal(row.reason?.code, 'ERR_FILE_UNREADABLE');
      assert.match(row.reason.message, /is now a FIFO \(named pipe\), not a regular file/);
      assert.match(row.reason.hint ?? '', /^only regular files are uploaded: put the file back/);
      assert.match(row.reason.hint ?? '', /s3ferry retry \d+/);
    }
    // file I/O still works: a new file goes
    proxy.clearRules();
    await writeFile(join(inbox, 'after.txt'), 'after the FIFOs\n');
    await waitFor('after.txt uploaded', async () => (await keys()).includes('after.txt'));
    const k = await keys();
    assert.ok(!names.some((n) => k.includes(n)), 'no object of a swapped file');
    assert.deepEqual(await listAllMultipartUploads(client, bucket.name), [], 'no upload left');
  });

  it('a name that is not valid UTF-8 is reported when it is created, not at the next rescan', async () => {
    writeFileSync(
      Buffer.concat([Buffer.from(join(inbox, 'odd-')), Buffer.from([0xff, 0xfe])]),
      'x',
    );
    const ev = await waitFor('the report', async () =>
      (await events()).find((e) => e.type === 'source.error' && /not valid UTF-8/.test(e.message)),
    );
    assert.match(ev.message, /odd-\uFFFD\uFFFD: its name is not valid UTF-8.*rename it/);
  });

  it('a backfill glob that stalls a backtracking engine is answered; the agent stays responsive', async () => {
    await writeFile(join(inbox, `${'L'.repeat(240)}.txt`), 'a long name\n');
    const res = await live().api<{ queued: unknown[]; skipped: unknown[] }>(
      'POST',
      '/api/v1/backfill',
      { job: 'sec', glob: '*L*L*L*L*L*X' },
    );
    assert.deepEqual(res.queued, []);
    assert.equal((await fetch(`${live().url}/healthz`)).status, 200);
  });

  it('SIGTERM stops the agent', async () => {
    assert.equal(await live().stop(), 0);
  });
});
