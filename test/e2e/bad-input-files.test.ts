/**
 * Bad input on disk (issue 5, item 4), met by a running agent. The agent runs as `nobody` so that
 * permissions apply (root reads everything). Each case has its asserted outcome, and all the while
 * the agent keeps delivering the other files:
 * - a 0-byte file: an empty object;
 * - names with a newline, spaces, '#', '?', '%' and non-ASCII letters: delivered under that key;
 * - a name that is not valid UTF-8: reported (source.error) with the cause and the fix, not lost
 *   without a word (Node cannot open it through a string);
 * - a file the agent may not read: parked with "permission denied" and the fix;
 * - a FIFO and symbolic-link loops: not files to take; skipped, nothing hangs;
 * - a missing source directory, and one the agent may not read: reported with the cause, checked
 *   again (the missing one at the probe interval), and served once fixed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { freePort, waitFor, type AgentProcess } from '../support/agent-process.js';
import { objectDigest } from '../support/cli.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { canSwitchUser, NOBODY, startAgentAs } from '../support/torture/agent-as.js';

interface FileRow {
  path: string;
  state: string;
  reason: { code: string; message: string; hint: string | null } | null;
}
interface EventRow {
  type: string;
  message: string;
  path?: string;
}

const ODD_NAMES = ['line\nbreak.txt', 'with space.txt', 'hash#q?pct%.txt', 'ünïcødé-日本.txt'];

describe(
  'bad files and directories under a running agent',
  { skip: !canSwitchUser() && 'needs root to run the agent as nobody' },
  () => {
    let info: S3ServerInfo;
    let client: S3Client;
    let bucket: { name: string; cleanup(): Promise<void> };
    let tmp: { path: string; cleanup(): Promise<void> };
    let agent: AgentProcess;
    let inbox: string;
    let missing: string;
    let locked: string;

    const events = async (): Promise<EventRow[]> =>
      (await agent.api<{ items: EventRow[] }>('GET', '/api/v1/events?limit=1000')).items;
    const parked = async (): Promise<FileRow[]> =>
      (await agent.api<{ items: FileRow[] }>('GET', '/api/v1/queue?state=parked')).items;
    const keys = async (): Promise<string[]> =>
      (await listAllObjects(client, bucket.name)).map((o) => o.key);

    before(async () => {
      info = await rgwServer();
      client = makeS3Client(info);
      bucket = await createTestBucket(info, 'bad-files');
      tmp = await makeTmpDir('bad-files');
      await chmod(tmp.path, 0o755); // nobody must reach its directories
      inbox = join(tmp.path, 'inbox');
      missing = join(tmp.path, 'not-yet');
      locked = join(tmp.path, 'locked');
      await mkdir(inbox);
      await mkdir(locked, { mode: 0o700 }); // root's: nobody may not list it
      await writeFile(join(locked, 'inside.txt'), 'behind a locked door\n');

      await writeFile(join(inbox, 'control.txt'), 'an ordinary file\n');
      await writeFile(join(inbox, 'empty.bin'), '');
      for (const name of ODD_NAMES) await writeFile(join(inbox, name), `${name}\n`);
      writeFileSync(
        Buffer.from([...Buffer.from(join(inbox, 'bad-')), 0xff, 0xfe, 0x2e, 0x74]),
        'x',
      );
      await writeFile(join(inbox, 'secret.bin'), 'not for nobody\n', { mode: 0o600 });
      execFileSync('mkfifo', [join(inbox, 'a.fifo')]);
      await symlink('loop-b', join(inbox, 'loop-a'));
      await symlink('loop-a', join(inbox, 'loop-b'));
      await symlink('.', join(inbox, 'self'));

      const port = await freePort();
      const yaml = `api:
  port: ${port}
journal: ${JSON.stringify(join(tmp.path, 'agent', 'journal.db'))}
jobs:
  - name: files
    sources: [${JSON.stringify(inbox)}]
    settle: 500ms
    rescanInterval: 2s
    destination: { bucket: ${bucket.name}, prefix: files, endpoint: ${info.endpoint} }
  - name: missing
    sources: [${JSON.stringify(missing)}]
    settle: 500ms
    rescanInterval: 2s
    destination: { bucket: ${bucket.name}, prefix: missing, endpoint: ${info.endpoint} }
  - name: locked
    sources: [${JSON.stringify(locked)}]
    settle: 500ms
    rescanInterval: 2s
    destination: { bucket: ${bucket.name}, prefix: locked, endpoint: ${info.endpoint} }
`;
      agent = await startAgentAs(NOBODY, join(tmp.path, 'agent'), yaml, info, port);
      // everything that can go is delivered before the cases are looked at
      await waitFor('the deliverable files done', async () => {
        const k = await keys();
        return [
          'files/control.txt',
          'files/empty.bin',
          ...ODD_NAMES.map((n) => `files/${n}`),
        ].every((x) => k.includes(x));
      });
    });
    after(async () => {
      await agent.stop();
      client.destroy();
      await bucket.cleanup();
      await tmp.cleanup();
    });

    it('delivers a 0-byte file as an empty object', async () => {
      const got = await objectDigest(client, bucket.name, 'files/empty.bin');
      assert.equal(got.size, 0);
    });

    it('delivers names with a newline, spaces, #, ?, % and non-ASCII letters under that key', async () => {
      for (const name of ODD_NAMES) {
        const got = await objectDigest(client, bucket.name, `files/${name}`);
        assert.equal(got.size, Buffer.byteLength(`${name}\n`), JSON.stringify(name));
      }
    });

    it('reports a name that is not valid UTF-8 with the cause and the fix', async () => {
      const ev = await waitFor('a source.error about the name', async () =>
        (await events()).find(
          (e) => e.type === 'source.error' && /not valid UTF-8/.test(e.message),
        ),
      );
      assert.match(ev.message, /bad-\uFFFD\uFFFD\.t.*not valid UTF-8.*rename it/);
      assert.ok(!(await keys()).some((k) => k.includes('bad-')), 'no object under a mangled name');
    });

    it('parks a file it may not read, with the cause and the fix', async () => {
      const row = await waitFor('secret.bin parked', async () =>
        (await parked()).find((f) => f.path.endsWith('secret.bin')),
      );
      assert.equal(row.reason?.code, 'ERR_FILE_UNREADABLE');
      assert.match(row.reason.message, /secret\.bin: permission denied/);
      assert.match(row.reason.hint ?? '', /give the user running s3ferry read permission/);
      assert.match(row.reason.hint ?? '', /s3ferry retry/, 'the fix names retry');
      assert.ok(!(await keys()).includes('files/secret.bin'));
    });

    it('queues the parked file again once its mode is fixed (its ctime changed), and uploads it', async () => {
      await chmod(join(inbox, 'secret.bin'), 0o644);
      await waitFor('secret.bin uploaded after the fix', async () =>
        (await keys()).includes('files/secret.bin'),
      );
      assert.ok(!(await parked()).some((f) => f.path.endsWith('secret.bin')), 'no longer parked');
    });

    it('skips a FIFO and symbolic-link loops without hanging', async () => {
      const k = await keys();
      for (const name of ['a.fifo', 'loop-a', 'loop-b', 'self'])
        assert.ok(!k.some((x) => x.startsWith(`files/${name}`)), name);
      // the agent still answers and still takes new files
      await writeFile(join(inbox, 'later.txt'), 'after the odd ones\n');
      await waitFor('later.txt delivered', async () => (await keys()).includes('files/later.txt'));
    });

    it('reports a missing source directory and serves it once it exists', async () => {
      const ev = await waitFor('a source.error about the missing directory', async () =>
        (await events()).find((e) => e.type === 'source.error' && e.message.includes(missing)),
      );
      assert.match(ev.message, /does not exist; it is checked again every 30s and taken as soon/);
      await mkdir(missing);
      await writeFile(join(missing, 'arrived.txt'), 'now it exists\n');
      await waitFor('arrived.txt delivered', async () =>
        (await keys()).includes('missing/arrived.txt'),
      );
    });

    it('reports a source directory it may not read and serves it once readable', async () => {
      const ev = await waitFor('a source.error about the locked directory', async () =>
        (await events()).find((e) => e.type === 'source.error' && e.message.includes(locked)),
      );
      assert.match(ev.message, /permission denied/);
      await chmod(locked, 0o755);
      await waitFor('inside.txt delivered', async () =>
        (await keys()).includes('locked/inside.txt'),
      );
    });
  },
);
