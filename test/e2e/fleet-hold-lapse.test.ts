/**
 * An agent whose hold lapsed while it was stopped (issue 14 hole 3, DESIGN.md item 9: "nothing is
 * done by an agent whose hold on the file has lapsed"). Agent A (a real `s3ferry run` on the
 * shared PostgreSQL journal, lease 3 s, `after: delete`) uploads a 30 MiB file in 5 MiB parts,
 * slowed by a bandwidth limit; it is SIGSTOPped mid-upload, agent B takes the file over once the
 * lease expired and finishes it (uploads the rest, completes, deletes the source, records done);
 * then A is continued (SIGCONT). A must neither complete, delete, move, mark done nor emit
 * file.done for that file, nor write its history: what A's log, the shared events and history,
 * and the bucket show afterwards is B's delivery alone.
 */
import assert from 'node:assert/strict';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { isProbeKey } from '../../src/domain/capabilities.js';
import { freePort, waitFor, type AgentProcess } from '../support/agent-process.js';
import { fileSha256, objectDigest, writeRandomFile } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { fleetYaml, withJournalDb } from '../support/fleet.js';
import { FleetFixture } from '../support/fleet-fixture.js';
import { listAllMultipartUploads, listAllObjects } from '../support/s3-server.js';

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;
const MIB = 1024 * 1024;
const SIZE = 30 * MIB;
const KEY = 'held.bin';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** The JSON lines an agent logged about `key` or `path`, by event type. */
function logged(a: AgentProcess, types: readonly string[], path: string): string[] {
  return a
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event?: string; path?: string; key?: string })
    .filter((e) => types.includes(e.event ?? '') && (e.path === path || e.key === KEY))
    .map((e) => e.event ?? '');
}

void describe('fleet: an agent stopped past its lease, then continued', { skip }, () => {
  const fx = FleetFixture.use('fleet-hold-lapse');

  void it('does nothing with the file another agent took over and finished', async (t) => {
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox);
    const file = join(inbox, KEY);
    await writeRandomFile(file, SIZE);
    const sha = await fileSha256(file);
    const start = async (name: string): Promise<AgentProcess> => {
      const yaml = await fx.yaml(inbox, {
        lease: '3s',
        settle: '500ms',
        job: '    after:\n      action: delete\n',
        destination: '      partSize: 5MiB\n      concurrency: 2\n      bwlimit: 4MiB\n',
      });
      return fx.start(name, yaml);
    };
    const fileRow = (): Promise<{ state: string; owner: string | null } | undefined> =>
      withJournalDb(fx.db.url, async (c) => {
        const { rows } = await c.query<{ state: string; owner: string | null }>(
          'SELECT state, owner FROM files WHERE path = $1',
          [file],
        );
        return rows[0];
      });
    const partsJournaled = (): Promise<number> =>
      withJournalDb(fx.db.url, async (c) => {
        const { rows } = await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM parts p JOIN uploads u ON u.id = p.upload_ref
            WHERE u.object_key = $1`,
          [KEY],
        );
        return Number(rows[0]?.n ?? 0);
      });

    const a = await start('agent-a');
    const aId = (await a.api<{ self: string }>('GET', '/api/v1/agents')).self;
    await waitFor('A holds the file', async () => (await fileRow())?.owner === aId);
    const b = await start('agent-b');
    const bId = (await b.api<{ self: string }>('GET', '/api/v1/agents')).self;
    await waitFor('A journaled 2 parts', async () => (await partsJournaled()) >= 2);
    a.child.kill('SIGSTOP');
    let continued = false;
    try {
      await waitFor('B took the file over', async () => (await fileRow())?.owner === bId, 60_000);
      await waitFor('B finished it', async () => (await fileRow())?.state === 'done', 300_000);
      assert.equal(await exists(file), false, 'B deleted the source after verifying the object');
    } finally {
      a.child.kill('SIGCONT');
      continued = true;
    }
    assert.ok(continued);
    // A runs again: its worker finds the hold lapsed and lets the file go. Its API answers once its
    // event loop turns, and shows no file in flight once the worker is done with it.
    await waitFor(
      'A idle again',
      async () => (await a.api<{ inFlight: number }>('GET', '/api/v1/status')).inFlight === 0,
      60_000,
    );
    await a.stop();
    await b.stop();

    const aDid = logged(a, ['file.done', 'upload.finished', 'upload.completed'], file);
    assert.deepEqual(aDid, [], `A did nothing with the file:\n${a.log()}`);
    assert.deepEqual(logged(b, ['file.done'], file), ['file.done'], 'B recorded it done');
    t.diagnostic(`A logged: ${logged(a, ['file.taken-over', 'upload.failed'], file).join(', ')}`);

    const got = await objectDigest(fx.client, fx.bucket.name, KEY);
    assert.equal(got.size, SIZE);
    assert.equal(got.sha256, sha, 'the object is the file');
    assert.deepEqual(
      (await listAllObjects(fx.client, fx.bucket.name)).map((o) => o.key),
      [KEY],
    );
    assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);
    await withJournalDb(fx.db.url, async (c) => {
      const history = await c.query<{ result: string; object_key: string }>(
        'SELECT result, object_key FROM history WHERE source_path = $1',
        [file],
      );
      assert.deepEqual(history.rows, [{ result: 'done', object_key: KEY }], 'one row: B’s');
      const done = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM events WHERE type = 'file.done' AND path = $1`,
        [file],
      );
      assert.equal(Number(done.rows[0]?.n), 1, 'one file.done: B’s');
      const f = await c.query<{ state: string; owner: string | null }>(
        'SELECT state, owner FROM files WHERE path = $1',
        [file],
      );
      assert.deepEqual(f.rows, [{ state: 'done', owner: null }]);
    });
  });

  void it('sends no PutObject once its hold lapsed', async () => {
    await Promise.all(fx.agents.splice(0).map((x) => x.stop()));
    const inbox = join(fx.tmp.path, 'inbox-small');
    await mkdir(inbox);
    const proxy = await startFaultProxy(fx.info.endpoint); // no fault: it logs A's requests
    try {
      const common = {
        journal: fx.db.url,
        inbox,
        bucket: fx.bucket.name,
        lease: '3s',
        settle: '500ms',
        job: '    after:\n      action: delete\n',
      };
      // A: 1 MiB at 64 KiB/s: the second file waits about 16 s for its turn.
      const a = await fx.start(
        'small-a',
        fleetYaml({
          ...common,
          port: await freePort(),
          endpoint: proxy.url,
          destination: '      bwlimit: 64KiB\n',
        }),
      );
      const aId = (await a.api<{ self: string }>('GET', '/api/v1/agents')).self;
      const files = ['one.bin', 'two.bin'].map((f) => join(inbox, f));
      for (const f of files) await writeRandomFile(f, 1024 * 1024);
      const rows = (): Promise<{ path: string; state: string; owner: string | null }[]> =>
        withJournalDb(fx.db.url, async (c) => {
          const { rows: r } = await c.query<{ path: string; state: string; owner: string | null }>(
            'SELECT path, state, owner FROM files WHERE path LIKE $1 ORDER BY path',
            [`${inbox}/%`],
          );
          return r;
        });
      // One file went (done), the other is A's, waiting for its turn to be sent.
      const waiting = await waitFor('one file done, the other held by A', async () => {
        const r = await rows();
        const done = r.filter((x) => x.state === 'done');
        const held = r.filter((x) => x.state === 'uploading' && x.owner === aId);
        return done.length === 1 && held.length === 1 ? held[0] : undefined;
      }).catch(async (err: unknown) => {
        const sent = proxy.log.map((e) => `${e.operation} ${String(e.status)}`).join(', ');
        throw new Error(
          `${String(err)}: ${JSON.stringify(await rows())}; A sent ${sent}\n${a.log()}`,
        );
      });
      // A's PUTs of files (its capability probe at the start writes a scratch key of its own)
      const filePuts = () =>
        proxy.log.filter((e) => e.operation === 'PutObject' && !isProbeKey(e.key));
      const puts = () => filePuts().length;
      assert.equal(puts(), 1, 'A sent the first file only');
      // The first PUT reserved 16 s of A's limit: the waiting file's turn comes then.
      const turn = (filePuts()[0]?.startedAt ?? 0) + 16_000;
      a.child.kill('SIGSTOP');
      const b = await fx.start(
        'small-b',
        fleetYaml({ ...common, port: await freePort(), endpoint: fx.info.endpoint }),
      );
      const bId = (await b.api<{ self: string }>('GET', '/api/v1/agents')).self;
      try {
        await waitFor('B finished the waiting file', async () => {
          const r = (await rows()).find((x) => x.path === waiting.path);
          return r?.state === 'done';
        });
        // Continued once its turn to send is past: its limiter's timer then fires at once, before
        // its first heartbeat can answer and end the work; what stops the PUT is the hold check.
        await sleep(Math.max(0, turn + 2_000 - Date.now()));
      } finally {
        a.child.kill('SIGCONT');
      }
      await waitFor(
        'A idle again',
        async () => (await a.api<{ inFlight: number }>('GET', '/api/v1/status')).inFlight === 0,
        60_000,
      );
      await a.stop();
      await b.stop();
      assert.equal(puts(), 1, `A sent no PutObject for the file B took over:\n${a.log()}`);
      // Nor tried to: a request on a connection the stop left dead never reaches the proxy, but
      // A would log its retry.
      const tried = a
        .log()
        .split('\n')
        .filter((l) => l.includes(waiting.path) && l.includes('PutObject'));
      assert.deepEqual(tried, [], 'A attempted no PutObject for it');
      assert.deepEqual(logged(a, ['file.done'], waiting.path), []);
      assert.deepEqual(logged(b, ['file.done'], waiting.path), ['file.done']);
      await withJournalDb(fx.db.url, async (c) => {
        const history = await c.query<{ n: string }>(
          'SELECT count(*) AS n FROM history WHERE source_path = $1',
          [waiting.path],
        );
        assert.equal(Number(history.rows[0]?.n), 1, 'one history row: B’s');
      });
      assert.ok(bId !== aId);
    } finally {
      await proxy.close();
    }
  });
});
