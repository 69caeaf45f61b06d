/**
 * What the agent costs the journal and the store per small file (issue 14 item 7, DESIGN.md item
 * 9 and "File states"): an in-process agent on a SQLite journal takes 150 small files dropped into
 * its watched directory (the default job: `after: keep`, overwrite `never`, no dedupe), and the
 * test counts, from the moment the files are written until all are done:
 * - the journal's write transactions per file: the operations that changed rows, as the group
 *   commit counts them with SQLite's own change counter (sqlite-group-commit.ts writeStats). At
 *   most three: enqueue (with the plan), claim, finish (done, its history row, its event and the
 *   upload's ledger record in one transaction). The heartbeat renews all the agent's leases in
 *   one write every third of the lease, whatever the number of files: it is not per file;
 * - the requests each file costs the store, through a fault proxy that only counts: one PutObject.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../../src/agent/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { waitFor } from '../support/agent-process.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { listAllObjects } from '../support/s3-server.js';

const FILES = 150;
/** Writes that are the agent's, not any file's: its heartbeat. */
const AGENT_OPERATIONS = new Set(['heartbeat']);

/** `after` minus `before`, per operation, without zeros. */
function delta(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    if (d !== 0) out[name] = d;
  }
  return out;
}

void describe('journal writes and store requests per small file', () => {
  const fx = S3Fixture.use('journal-writes');

  void it(`at most three journal writes and one request per file (${FILES} files)`, async (t) => {
    const proxy = await startFaultProxy(fx.info.endpoint); // no fault: it counts what is sent
    const dir = join(fx.tmp.path, 'agent');
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    await mkdir(dir, { recursive: true });
    const configPath = join(dir, 's3ferry.yaml');
    await writeFile(
      configPath,
      `jobs:
  - name: small
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    destination:
      bucket: ${fx.bucket.name}
      endpoint: ${proxy.url}
      region: ${fx.info.region}
      accessKeyId: ${fx.info.accessKeyId}
      secretAccessKey: ${fx.info.secretAccessKey}
`,
    );
    const config = await loadConfig({
      file: configPath,
      flags: { journal: join(dir, 'journal.db') },
    });
    const running = await startAgent(config, {
      env: {},
      logStream: new Writable({
        write: (_c, _e, done) => {
          done();
        },
      }),
    });
    try {
      const journal = running.journal;
      assert.ok(journal instanceof SqliteJournalStore, 'the agent opened a SQLite journal');
      const before = journal.writeStats;
      proxy.session = 1;
      for (let i = 0; i < FILES; i += 1)
        await writeFile(
          join(inbox, `f${String(i).padStart(4, '0')}.bin`),
          randomBytes(1000 + i * 20),
        );
      await waitFor('all done', async () => (await journal.countFiles()).done === FILES, 120_000);
      const after = journal.writeStats;
      const writes = delta(before.operations, after.operations);
      const perFile = Object.entries(writes)
        .filter(([name]) => !AGENT_OPERATIONS.has(name))
        .reduce((sum, [, n]) => sum + n, 0);
      const requests: Record<string, number> = {};
      for (const e of proxy.log.filter((x) => x.session === 1))
        requests[e.operation] = (requests[e.operation] ?? 0) + 1;
      t.diagnostic(
        `${FILES} files: journal writes ${JSON.stringify(writes)} = ${(perFile / FILES).toFixed(2)} ` +
          `per file; transactions ${after.transactions - before.transactions}; ` +
          `requests ${JSON.stringify(requests)}`,
      );
      assert.ok(perFile <= 3 * FILES, `${perFile} journal writes for ${FILES} files`);
      assert.deepEqual(requests, { PutObject: FILES }, 'one request per small object');
      assert.equal((await listAllObjects(fx.client, fx.bucket.name)).length, FILES);
      assert.equal((await journal.listHistory({ limit: FILES + 10 })).length, FILES);
    } finally {
      await running.close();
      await proxy.close();
    }
  });
});
