/**
 * The plan of a file version survives a SIGKILL (DESIGN.md item 4, issue 14 hole 1): a job whose
 * key template has `{now:yyyyMMddHHmmss}` and `{uuid}` uploads a 60 MiB file in 5 MiB parts,
 * slowed by a bandwidth limit; the agent (a real `s3ferry run`) is SIGKILLed once some parts are
 * journaled, and started again. The restart must resume the same multipart upload under the same
 * key: one object, under the first key, only the parts the server lacked sent again (compared
 * with ListParts right after the kill, as fleet-takeover.test.ts does), no multipart upload left,
 * one history row. A key rendered again at the restart would name another object and send all
 * 12 parts again, and could leave the first upload behind. With the job option `resume: false`
 * the restart aborts the upload it had started and sends the file again from its first byte,
 * under the same planned key.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { fileSha256, objectDigest, writeRandomFile } from '../support/cli.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { listAllMultipartUploads, listAllObjects } from '../support/s3-server.js';

const MIB = 1024 * 1024;
const CONCURRENCY = 2;

interface UploadRow {
  id: number;
  object_key: string;
  upload_id: string | null;
  state: string;
  part_count: number;
}

/** Reads the agent's SQLite journal (WAL: readable while the agent writes). */
function readJournal<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The upload.finished events an agent logged. */
function finished(a: AgentProcess): Record<string, unknown>[] {
  return a
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"event":"upload.finished"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** What a run killed mid-multipart and restarted left. */
interface Killed {
  readonly file: string;
  readonly size: number;
  /** The upload as the journal held it at the kill. */
  readonly begun: UploadRow;
  readonly journaled: number[];
  /** Part numbers ListParts showed right after the kill. */
  readonly onServer: number[];
  /** The restarted agent (stopped). */
  readonly second: AgentProcess;
  /** Every upload of the journal at the end. */
  readonly uploads: UploadRow[];
  readonly history: { object_key: string; result: string }[];
}

void describe('a SIGKILL mid-multipart with {now} and {uuid} in the key template', () => {
  const fx = S3Fixture.use('plan-kill');

  /** Uploads a `mib` MiB file, SIGKILLs the agent once 3 parts are journaled, restarts it. */
  async function killedAndRestarted(name: string, mib: number, job = ''): Promise<Killed> {
    const inbox = join(fx.tmp.path, name, 'inbox');
    await mkdir(inbox, { recursive: true });
    const dir = join(fx.tmp.path, name, 'agent');
    const journal = join(dir, '.s3ferry', 'journal.db');
    const yaml = `api:
  port: ${await freePort()}
log:
  level: info
jobs:
  - name: inbox
    sources: [${JSON.stringify(inbox)}]
    settle: 500ms
    key: '${name}/{now:yyyyMMddHHmmss}-{uuid}-{name}'
${job}    destination:
      bucket: ${fx.bucket.name}
      endpoint: ${fx.info.endpoint}
      partSize: 5MiB
      concurrency: ${CONCURRENCY}
      bwlimit: 4MiB
`;
    const file = join(inbox, 'big.bin');
    const size = mib * MIB;
    await writeRandomFile(file, size);
    const first = await startAgentProcess(dir, yaml, fx.info);
    const uploads = (): UploadRow[] =>
      readJournal(journal, (db) =>
        db
          .prepare<[], UploadRow>(
            'SELECT id, object_key, upload_id, state, part_count FROM uploads ORDER BY id',
          )
          .all(),
      );
    const journaledParts = (id: number): number[] =>
      readJournal(journal, (db) =>
        db
          .prepare<[number], { part_number: number }>(
            'SELECT part_number FROM parts WHERE upload_ref = ? ORDER BY part_number',
          )
          .all(id)
          .map((r) => r.part_number),
      );
    const begun = await waitFor('3 parts journaled', () => {
      const [u] = uploads();
      return Promise.resolve(
        u !== undefined && u.upload_id !== null && journaledParts(u.id).length >= 3 ? u : undefined,
      );
    });
    await first.kill();
    const journaled = journaledParts(begun.id);
    const listed = await fx.client.send(
      new ListPartsCommand({
        Bucket: fx.bucket.name,
        Key: begun.object_key,
        UploadId: begun.upload_id ?? '',
        MaxParts: 1000,
      }),
    );
    const onServer = (listed.Parts ?? []).map((p) => p.PartNumber ?? 0);
    assert.ok(onServer.length < begun.part_count, 'the kill came before the end');
    for (const n of journaled) assert.ok(onServer.includes(n), `journaled part ${n} on the server`);
    assert.match(begun.object_key, new RegExp(`^${name}/\\d{14}-[0-9a-f-]{36}-big\\.bin$`));

    // A second later {now} renders another time, and {uuid} another uuid in any case.
    await new Promise((r) => setTimeout(r, 1100));
    const second = await startAgentProcess(dir, yaml, fx.info);
    try {
      await waitFor(
        'the file done',
        async () =>
          ((await second.api<{ files: Record<string, number> }>('GET', '/api/v1/status')).files
            .done ?? 0) === 1,
        300_000,
      );
    } finally {
      await second.stop();
    }
    const history = readJournal(journal, (db) =>
      db
        .prepare<[], { object_key: string; result: string }>(
          'SELECT object_key, result FROM history',
        )
        .all(),
    );
    return { file, size, begun, journaled, onServer, second, uploads: uploads(), history };
  }

  /** One object, under the first key, with the file's bytes; no multipart upload left. */
  async function deliveredUnderFirstKey(k: Killed, prefix: string): Promise<void> {
    const objects = (await listAllObjects(fx.client, fx.bucket.name))
      .map((o) => o.key)
      .filter((key) => key.startsWith(`${prefix}/`));
    assert.deepEqual(objects, [k.begun.object_key], 'one object, under the first key');
    const got = await objectDigest(fx.client, fx.bucket.name, k.begun.object_key);
    assert.equal(got.size, k.size);
    assert.equal(got.sha256, await fileSha256(k.file));
    const left = await listAllMultipartUploads(fx.client, fx.bucket.name);
    assert.deepEqual(
      left.filter((u) => u.key.startsWith(`${prefix}/`)),
      [],
    );
    assert.deepEqual(k.history, [{ object_key: k.begun.object_key, result: 'done' }]);
  }

  void it('resumes under the first key, sending only the missing parts', async (t) => {
    const k = await killedAndRestarted('resume', 60);
    const total = k.begun.part_count;
    assert.equal(total, 12);
    await deliveredUnderFirstKey(k, 'resume');
    const [event, ...more] = finished(k.second);
    assert.ok(event !== undefined, `the restart finished the upload:\n${k.second.log()}`);
    assert.equal(more.length, 0);
    assert.equal(event.key, k.begun.object_key);
    assert.equal(event.resumed, true);
    assert.equal(event.partsReused, k.onServer.length, 'the server’s parts were reused');
    assert.equal(event.partsSent, total - k.onServer.length, 'only the missing parts were sent');
    t.diagnostic(
      `${total} parts; at the kill ${k.journaled.length} journaled, ${k.onServer.length} on ` +
        `the server; the restart sent ${String(event.partsSent)}`,
    );
    // The journal: the one upload (resumed, not a second one), verified; one history row.
    assert.deepEqual(k.uploads, [{ ...k.begun, state: 'verified' }]);
  });

  void it('with resume: false, aborts the upload it had started and sends the file whole, same key', async () => {
    const k = await killedAndRestarted('noresume', 30, '    resume: false\n');
    const total = k.begun.part_count;
    assert.equal(total, 6);
    await deliveredUnderFirstKey(k, 'noresume');
    const [event, ...more] = finished(k.second);
    assert.ok(event !== undefined, `the restart finished the upload:\n${k.second.log()}`);
    assert.equal(more.length, 0);
    assert.equal(event.key, k.begun.object_key, 'the same planned key');
    assert.equal(event.resumed, false);
    assert.equal(event.partsSent, total, 'every part sent again');
    // The journal: the first upload aborted, the second verified, both at the planned key.
    assert.deepEqual(
      k.uploads.map((u) => [u.object_key, u.state]),
      [
        [k.begun.object_key, 'aborted'],
        [k.begun.object_key, 'verified'],
      ],
    );
    assert.ok(k.second.log().includes('resume is disabled'), 'the restart says why it starts over');
  });
});
