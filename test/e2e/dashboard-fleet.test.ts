/**
 * The dashboard shows the fleet, in a real browser (Debian's chromium). Two real agents share one
 * PostgreSQL journal and one source directory, uploading to the real RGW: agent B holds a throttled
 * file, and agent A's dashboard lists both agents (A as "this agent", B holding one file) and names
 * B as the file's holder in the queue. B is SIGKILLed: with a 3 s lease A's dashboard shows B
 * silent, A takes the file over (the queue names "this agent") and finishes it with the file's
 * bytes. An agent with its own SQLite journal lists itself alone.
 */
import assert from 'node:assert/strict';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Locator, Page } from 'playwright-core';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { eventually, launchBrowser, type BrowserSession } from '../support/browser.js';
import { fileSha256, objectDigest, writeRandomFile } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MiB = 1024 * 1024;
const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;

interface QueueAnswer {
  items: { path: string; state: string; owner: string | null }[];
}
interface AgentsAnswer {
  self: string;
}

/** One job watching `inbox`; with `journal`, on that shared journal under a 3 s lease. */
function yaml(o: {
  port: number;
  inbox: string;
  bucket: string;
  endpoint: string;
  bwlimit?: string;
  journal?: string;
}): string {
  const shared = o.journal === undefined ? '' : `journal: ${o.journal}\nlease: 3s\n`;
  const bwlimit = o.bwlimit === undefined ? '' : `\n      bwlimit: ${o.bwlimit}`;
  return `${shared}api:
  port: ${o.port}
jobs:
  - name: inbox
    sources: [${JSON.stringify(o.inbox)}]
    settle: 1s
    destination:
      bucket: ${o.bucket}
      endpoint: ${o.endpoint}${bwlimit}
      partSize: 5MiB
      multipartThreshold: 5MiB
`;
}

/** The Agents panel's row of the agent with this pid (and these data-* attributes). */
const agentRow = (page: Page, pid: number | undefined, more = ''): Locator =>
  page.locator(`#agents-table tr[data-pid="${String(pid)}"]${more}`);

const tab = (page: Page, view: string): Promise<void> =>
  page.locator(`.tabs a[data-view="${view}"]`).click();

describe('dashboard: an agent with its own SQLite journal lists itself alone', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let browser: BrowserSession;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'dash-fleet-one');
    tmp = await makeTmpDir('dash-fleet-one');
    const dir = join(tmp.path, 'agent');
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const port = await freePort();
    const config = yaml({ port, inbox, bucket: bucket.name, endpoint: info.endpoint });
    agent = await startAgentProcess(dir, config, info);
    browser = await launchBrowser('dashboard-fleet-sqlite');
  });
  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('one row, this agent, alive; the panel says the journal is its own', async () => {
    const page = await browser.open(await agent.dashboardUrl());
    const row = agentRow(page, agent.child.pid);
    await row.waitFor();
    assert.equal(await page.locator('#agents-table tbody tr').count(), 1);
    assert.equal(await row.getAttribute('data-self'), 'true');
    assert.equal(await row.getAttribute('data-alive'), 'true');
    const text = await row.innerText();
    assert.match(text, /this agent/);
    assert.match(text, /alive/);
    assert.match(await page.locator('#agents-note').innerText(), /SQLite/);
    await browser.screenshot(page, 'overview', { fullPage: true });
    assert.deepEqual(browser.errors(), []);
  });
});

describe('dashboard: the fleet on one PostgreSQL journal, a holder killed', { skip }, () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let db: TestDatabase;
  let inbox: string;
  let big: string;
  /** The agent whose dashboard is looked at. */
  let a: AgentProcess | undefined;
  /** The agent holding the file, then killed. */
  let b: AgentProcess | undefined;
  let bId: string;
  let browser: BrowserSession | undefined;
  let page: Page;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'dash-fleet');
    tmp = await makeTmpDir('dash-fleet');
    db = await createTestDatabase();
    inbox = join(tmp.path, 'inbox');
    big = join(inbox, 'big.bin');
    await mkdir(inbox, { recursive: true });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await a?.stop().catch(() => undefined);
    if (b !== undefined && b.child.exitCode === null && b.child.signalCode === null)
      await b.kill().catch(() => undefined);
    await db.drop();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  const start = async (name: string, bwlimit: string): Promise<AgentProcess> =>
    startAgentProcess(
      join(tmp.path, name),
      yaml({
        port: await freePort(),
        inbox,
        bucket: bucket.name,
        endpoint: info.endpoint,
        bwlimit,
        journal: db.url,
      }),
      info,
    );

  /** The file's queue entry as an agent's API shows it (undefined once it left the queue). */
  const entry = async (agent: AgentProcess): Promise<QueueAnswer['items'][number] | undefined> =>
    (await agent.api<QueueAnswer>('GET', '/api/v1/queue?state=pending')).items.find(
      (f) => f.path === big,
    );

  it("A's dashboard lists both agents and names B as the holder of B's upload", async () => {
    // B alone first, so that B claims the file: 24 MiB at 256 KiB/s lasts far longer than the
    // look at A's dashboard (B is killed right after it)
    b = await start('agent-b', '256KiB');
    bId = (await b.api<AgentsAnswer>('GET', '/api/v1/agents')).self;
    await writeRandomFile(`${big}.tmp`, 24 * MiB);
    await rename(`${big}.tmp`, big);
    const agentB = b;
    await waitFor('B uploading the file', async () => {
      const f = await entry(agentB);
      return f?.state === 'uploading' && f.owner === bId;
    });
    // A finds the same file in the same directory: still one entry, still B's
    a = await start('agent-a', '1MiB');
    browser = await launchBrowser('dashboard-fleet');
    page = await browser.open(await a.dashboardUrl());

    const rowA = agentRow(page, a.child.pid);
    const rowB = agentRow(page, b.child.pid);
    await rowA.waitFor();
    await rowB.waitFor();
    assert.equal(await page.locator('#agents-table tbody tr').count(), 2);
    assert.equal(await rowA.getAttribute('data-self'), 'true');
    assert.match(await rowA.innerText(), /this agent/);
    assert.equal(await rowB.getAttribute('data-self'), 'false');
    assert.doesNotMatch(await rowB.innerText(), /this agent/);
    await eventually('B alive, holding one file', async () => {
      const held = await rowB.locator('td[data-label="Files held"]').innerText({ timeout: 1000 });
      return held === '1' && (await rowB.getAttribute('data-alive')) === 'true';
    });
    assert.match(await page.locator('#agents-note').innerText(), /2 agents on a shared journal/);
    // A uploads nothing itself: its "Uploading now" says the others are busy
    await page
      .locator('#overview-transfers .empty', { hasText: 'other agents hold 1 file' })
      .waitFor();
    await browser.screenshot(page, 'agents', { fullPage: true });

    // on a phone the table becomes one card per agent, nothing wider than the screen
    const phone = await browser.open(await a.dashboardUrl(), 'phone');
    await agentRow(phone, b.child.pid).waitFor();
    await browser.screenshot(phone, 'phone-agents', { fullPage: true });
    const width = await phone.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
          .document.documentElement.scrollWidth,
    );
    assert.ok(width <= 390, `page width ${width} fits 390 px`);
    await phone.close();

    await tab(page, 'queue');
    const row = page.locator('#queue-table tr[data-path$="/big.bin"]');
    await row.locator('.badge', { hasText: 'uploading' }).waitFor();
    const holder = row.locator('td[data-label="Held by"]');
    await eventually('B named as the holder', async () =>
      (await holder.innerText({ timeout: 1000 })).includes(`pid ${String(agentB.child.pid)}`),
    );
    assert.doesNotMatch(await holder.innerText(), /this agent/);
    await browser.screenshot(page, 'queue-held-by-b');
  });

  it('B SIGKILLed: the panel shows it silent, and A takes the file over and finishes it', async () => {
    assert.ok(a !== undefined && b !== undefined && browser !== undefined);
    const agentA = a;
    const before = await entry(a);
    assert.ok(
      before?.state === 'uploading' && before.owner === bId,
      `B still uploads the file when it is killed (else make it bigger): ${JSON.stringify(before)}`,
    );
    await b.kill();

    await tab(page, 'overview');
    const rowA = agentRow(page, a.child.pid);
    const rowB = agentRow(page, b.child.pid);
    await agentRow(page, b.child.pid, '[data-alive="false"]').waitFor();
    await rowB.locator('.badge', { hasText: 'silent' }).waitFor();
    await eventually(
      'A itself alive',
      async () => (await rowA.getAttribute('data-alive')) === 'true',
    );
    await eventually('the note counting one silent agent', async () =>
      /1 silent/.test(await page.locator('#agents-note').innerText({ timeout: 1000 })),
    );
    await browser.screenshot(page, 'b-silent', { fullPage: true });

    await tab(page, 'queue');
    const holder = page.locator('#queue-table tr[data-path$="/big.bin"] td[data-label="Held by"]');
    await holder.filter({ hasText: 'this agent' }).waitFor();
    await browser.screenshot(page, 'queue-taken-over');

    await tab(page, 'overview');
    await eventually('B holding nothing any more', async () => {
      const held = await rowB.locator('td[data-label="Files held"]').innerText({ timeout: 1000 });
      return held === '0';
    });

    await tab(page, 'history');
    await page
      .locator('#history-table tr[data-path$="/big.bin"] .badge', { hasText: 'done' })
      .waitFor();
    assert.equal(await entry(agentA), undefined, 'the file left the queue');
    const object = await objectDigest(client, bucket.name, 'big.bin');
    assert.deepEqual(object, { sha256: await fileSha256(big), size: 24 * MiB });

    const content = await page.content();
    assert.ok(!content.includes(new URL(db.url).password), 'no journal password in the page');
    assert.ok(!content.includes(info.secretAccessKey), 'no S3 secret in the page');
    assert.deepEqual(browser.errors(), []);
  });
});
