/**
 * Fleet mode, an agent dies mid-upload: agent A (a real `s3ferry run` process) uploads a 60 MiB
 * file in 5 MiB parts, slowed by a bandwidth limit, and is SIGKILLed halfway; agent B, alive on
 * the same PostgreSQL journal and source, takes the file over once A's 3 s lease has expired and
 * resumes A's multipart upload from the shared journal: it sends only the parts the server lacks.
 * Asserted as in upload-crash-resume.test.ts: against ListParts taken right after the kill.
 * And a file whose holder died in 'verifying' after its after-action deleted the source: the
 * agent that takes it over records it done (the object was verified), not vanished.
 */
import assert from 'node:assert/strict';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { waitFor, type AgentProcess } from '../support/agent-process.js';
import { fileSha256, objectDigest, writeRandomFile } from '../support/cli.js';
import { withJournalDb } from '../support/fleet.js';
import { FleetFixture } from '../support/fleet-fixture.js';
import { listAllMultipartUploads } from '../support/s3-server.js';

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;
const MIB = 1024 * 1024;
const SIZE = 60 * MIB;
const CONCURRENCY = 2;
const KEY = 'big.bin';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** A's upload as the journal holds it. */
interface UploadRow {
  id: string;
  upload_id: string | null;
  owner: string;
  state: string;
  part_count: number;
}

void describe('fleet: an agent killed mid-upload, another takes over', { skip }, () => {
  const fx = FleetFixture.use('fleet-takeover');

  const uploads = (): Promise<UploadRow[]> =>
    withJournalDb(fx.db.url, async (c) => {
      const { rows } = await c.query<UploadRow>(
        'SELECT id, upload_id, owner, state, part_count FROM uploads WHERE object_key = $1 ORDER BY id',
        [KEY],
      );
      return rows;
    });
  const journaledParts = (uploadRef: string): Promise<number[]> =>
    withJournalDb(fx.db.url, async (c) => {
      const { rows } = await c.query<{ part_number: number }>(
        'SELECT part_number FROM parts WHERE upload_ref = $1 ORDER BY part_number',
        [uploadRef],
      );
      return rows.map((r) => r.part_number);
    });
  const fileRow = (): Promise<{ state: string; owner: string | null } | undefined> =>
    withJournalDb(fx.db.url, async (c) => {
      const { rows } = await c.query<{ state: string; owner: string | null }>(
        'SELECT state, owner FROM files',
      );
      return rows[0];
    });
  /** The upload.finished events an agent logged for KEY. */
  const finished = (a: AgentProcess): Record<string, unknown>[] =>
    a
      .log()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"event":"upload.finished"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.key === KEY);

  void it('resumes the dead agent’s multipart upload, sending only the missing parts', async (t) => {
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox);
    const start = async (name: string): Promise<AgentProcess> => {
      const yaml = await fx.yaml(inbox, {
        lease: '3s',
        destination: `      partSize: 5MiB\n      concurrency: ${CONCURRENCY}\n      bwlimit: 4MiB\n`,
      });
      return fx.start(name, yaml);
    };
    const a = await start('agent-a');
    const file = join(inbox, KEY);
    await writeRandomFile(file, SIZE);
    const aId = (await a.api<{ self: string }>('GET', '/api/v1/agents')).self;
    await waitFor('A holds the file', async () => (await fileRow())?.owner === aId);
    // B starts once A holds the file, so that A is the one to die mid-upload. (A pause would not
    // do: the switch is the journal's and would hold A as well.)
    const b = await start('agent-b');
    const bId = (await b.api<{ self: string }>('GET', '/api/v1/agents')).self;

    const begun = await waitFor('A’s upload with 3 parts journaled', async () => {
      const [u] = await uploads();
      return u !== undefined && (await journaledParts(u.id)).length >= 3 ? u : undefined;
    });
    await a.kill();
    const uploadId = begun.upload_id ?? '';
    const journaled = await journaledParts(begun.id);
    const listed = await fx.client.send(
      new ListPartsCommand({
        Bucket: fx.bucket.name,
        Key: KEY,
        UploadId: uploadId,
        MaxParts: 1000,
      }),
    );
    const onServer = (listed.Parts ?? []).map((p) => p.PartNumber ?? 0);
    const total = begun.part_count;
    assert.equal(total, 12);
    for (const n of journaled) assert.ok(onServer.includes(n), `journaled part ${n} on the server`);
    assert.ok(
      onServer.length - journaled.length <= CONCURRENCY,
      `${onServer.length} parts on the server, ${journaled.length} journaled`,
    );
    assert.ok(onServer.length < total, 'the kill came before the end');
    assert.equal(begun.owner, aId, 'A began the upload');

    await waitFor('the file done', async () => (await fileRow())?.state === 'done', 300_000);
    const [event, ...more] = finished(b);
    assert.ok(event !== undefined, `B finished the upload:\n${b.log()}`);
    assert.equal(more.length, 0);
    assert.equal(event.resumed, true);
    assert.equal(event.partsReused, onServer.length, 'B reused what the server held');
    assert.equal(event.partsSent, total - onServer.length, 'B sent only the missing parts');
    assert.deepEqual(finished(a), [], 'A never finished it');
    t.diagnostic(
      `${total} parts; at the kill ${journaled.length} journaled, ${onServer.length} on the server; ` +
        `B sent ${String(event.partsSent)}, reused ${String(event.partsReused)}`,
    );

    const got = await objectDigest(fx.client, fx.bucket.name, KEY);
    assert.equal(got.size, SIZE);
    assert.equal(got.sha256, await fileSha256(file));
    assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);

    // The journal: one upload of the key (A's, resumed, not a second one), verified; one history row.
    assert.deepEqual(await uploads(), [{ ...begun, state: 'verified' }]);
    await withJournalDb(fx.db.url, async (c) => {
      const { rows } = await c.query<{ result: string }>('SELECT result FROM history');
      assert.deepEqual(
        rows.map((r) => r.result),
        ['done'],
      );
      // B's file.done and its upload.finished were recorded in the shared journal too.
      const events = await c.query<{ type: string }>(
        `SELECT type FROM events WHERE type IN ('upload.resumed', 'upload.finished', 'file.done')`,
      );
      assert.deepEqual(events.rows.map((r) => r.type).sort(), [
        'file.done',
        'upload.finished',
        'upload.resumed',
      ]);
    });
    // The fleet as B shows it: itself alive, A listed with its last heartbeat, no longer alive.
    const fleet = await b.api<{ items: { id: string; alive: boolean; holding: number }[] }>(
      'GET',
      '/api/v1/agents',
    );
    assert.equal(fleet.items.find((x) => x.id === bId)?.alive, true);
    assert.equal(fleet.items.find((x) => x.id === aId)?.alive, false);
    assert.equal(fleet.items.find((x) => x.id === aId)?.holding, 0);
  });

  void it('finishes a file whose holder died after deleting its source and before recording done', async () => {
    // Agents left by the test before run the same job on the same journal: they would claim this
    // file too (and find it outside their source).
    await Promise.all(fx.agents.splice(0).map((x) => x.stop()));
    const inbox = join(fx.tmp.path, 'inbox-verified');
    await mkdir(inbox);
    const yaml = (): Promise<string> =>
      fx.yaml(inbox, { lease: '3s', job: '    after:\n      action: delete\n' });
    const key = 'verified.bin';
    const file = join(inbox, key);
    await writeRandomFile(file, 64 * 1024);
    const sha = await fileSha256(file);
    const a = await fx.start('verified-a', await yaml());
    const row = (): Promise<{ id: string; state: string; reason: string | null } | undefined> =>
      withJournalDb(fx.db.url, async (c) => {
        const { rows } = await c.query<{ id: string; state: string; reason: string | null }>(
          'SELECT id, state, reason_message AS reason FROM files WHERE path = $1',
          [file],
        );
        return rows[0];
      });
    await waitFor('A uploaded the file and deleted its source', async () => {
      const r = await row();
      return r?.state === 'done' && !(await exists(file));
    });
    await a.stop();
    // The state a death between the after-action and 'done' leaves: the object verified, the
    // source deleted, the file still 'verifying', held by an agent whose lease ran out.
    const done = await row();
    await withJournalDb(fx.db.url, (c) =>
      c.query(
        `UPDATE files SET state = 'verifying', owner = 'dead-agent', lease_until = 0 WHERE id = $1`,
        [done?.id],
      ),
    );

    await fx.start('verified-b', await yaml());
    const end = await waitFor('B settled the file', async () => {
      const r = await row();
      return r?.state === 'done' || r?.state === 'cancelled' ? r : undefined;
    });
    assert.equal(end.state, 'done', `not cancelled as vanished (reason: ${end.reason ?? ''})`);
    // B's file.done, in the shared journal (the dead agent's own was recorded before the state
    // above was built): the newest for the path.
    const doneEvent = await withJournalDb(fx.db.url, async (c) => {
      const { rows } = await c.query<{ object_key: string | null; message: string }>(
        `SELECT object_key, message FROM events WHERE type = 'file.done' AND path = $1
          ORDER BY id DESC LIMIT 1`,
        [file],
      );
      return rows[0];
    });
    assert.equal(doneEvent?.object_key, key, 'the event names the object the dead agent uploaded');
    assert.match(doneEvent.message, /uploaded and verified by an agent that stopped/);
    const got = await objectDigest(fx.client, fx.bucket.name, key);
    assert.equal(got.sha256, sha, 'the object is the deleted file');
  });
});
