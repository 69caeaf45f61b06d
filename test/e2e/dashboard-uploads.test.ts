/**
 * The dashboard in a real browser (Debian's chromium) with a real agent on the real RGW: the
 * overview, a throttled 20 MiB upload seen pending, with a moving progress bar, then done in the
 * history; the download link's bytes; the events list; and the layout on a phone.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { eventually, launchBrowser, type BrowserSession } from '../support/browser.js';
import { writeRandomFile } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('dashboard: overview, live upload with progress, history, download link, phone', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let inbox: string;
  let agent: AgentProcess;
  let browser: BrowserSession;
  let page: Page;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'dash-uploads');
    tmp = await makeTmpDir('dash-uploads');
    const dir = join(tmp.path, 'agent');
    inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    // 4 MiB/s: a 20 MiB file takes about 5 s, long enough to watch its progress bar move
    agent = await startAgentProcess(
      dir,
      `api:
  port: ${await freePort()}
jobs:
  - name: inbox
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: up
      endpoint: ${info.endpoint}
      bwlimit: 4MiB
      partSize: 5MiB
      multipartThreshold: 5MiB
`,
      info,
    );
    browser = await launchBrowser('dashboard-uploads');
    page = await browser.open(await agent.dashboardUrl());
  });

  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('the overview shows the job running and its destination healthy, live', async () => {
    await page.locator('#conn[data-state="live"]').waitFor();
    const job = page.getByRole('switch', { name: 'Run job inbox' });
    await job.waitFor();
    assert.equal(await job.getAttribute('aria-checked'), 'true');
    const dest = page.locator('#destinations article').first();
    await dest.locator('.badge', { hasText: 'healthy' }).waitFor();
    assert.match(await dest.innerText(), new RegExp(`s3://${bucket.name}/up/`));
    assert.equal(await page.title(), 'Overview · s3ferry');
    await browser.screenshot(page, 'overview');
  });

  it('a throttled 20 MiB file is pending, shows a moving progress bar, then is done', async () => {
    const big = join(inbox, 'big.bin');
    // written under a temporary name the agent ignores, then renamed in: one finished file
    await writeRandomFile(`${big}.tmp`, 20 * MiB);
    await rename(`${big}.tmp`, big);

    await page.locator('.tabs a[data-view="queue"]').click();
    await page.locator('#queue-table tr[data-path$="/big.bin"]').waitFor();
    assert.match(
      await page
        .locator('#queue-table tr[data-path$="/big.bin"] td[data-label="State"] .badge')
        .innerText(),
      /queued|uploading/,
    );
    await browser.screenshot(page, 'pending');

    await page.locator('.tabs a[data-view="transfers"]').click();
    const bar = page.getByRole('progressbar', { name: 'Upload of big.bin' });
    await bar.waitFor();
    let first = -1;
    await eventually('the progress bar between 1 and 99 %', async () => {
      const v = Number(await bar.getAttribute('aria-valuenow', { timeout: 1000 }));
      if (first < 0 && v > 0) first = v;
      return v > 0 && v < 100;
    });
    await browser.screenshot(page, 'progress');
    await eventually('the progress bar moving on', async () => {
      const v = Number(await bar.getAttribute('aria-valuenow', { timeout: 1000 }));
      return v > first;
    }).catch(async (err: unknown) => {
      // it may have finished between two looks: then the history must say so below
      if ((await bar.count()) > 0) throw err;
    });
    const meta = await page
      .locator('.transfer', { has: bar })
      .innerText({ timeout: 5000 })
      .catch(() => '');
    if (meta !== '') assert.match(meta, /MiB of 20\.0 MiB/);

    await page.locator('.tabs a[data-view="history"]').click();
    const row = page.locator('#history-table tr[data-path$="/big.bin"]');
    await row.locator('.badge', { hasText: 'done' }).waitFor();
    assert.match(await row.innerText(), /20\.0 MiB/);
    assert.match(await row.innerText(), new RegExp(`s3://${bucket.name}/up/big\\.bin`));
    await page.locator('.tabs a[data-view="transfers"]').click();
    await page.locator('#view-transfers .empty').waitFor();
    await page.locator('.tabs a[data-view="history"]').click();
    await browser.screenshot(page, 'history');

    // the throughput chart drew the upload from the stream's ticks
    await page.locator('.tabs a[data-view="overview"]').click();
    const peak = page.locator('#throughput .chart-stat', { hasText: 'Peak' }).locator('strong');
    await eventually('a peak speed on the chart', async () =>
      /[KM]iB\/s$/.test(await peak.innerText({ timeout: 1000 })),
    );
    await browser.screenshot(page, 'overview-throughput');
  });

  it("the history's Link button opens a URL that serves the file's bytes", async () => {
    const content = Buffer.from(`link me ${Date.now()}\n`);
    const small = join(inbox, 'small.txt');
    await writeFile(`${small}.tmp`, content);
    await rename(`${small}.tmp`, small);
    await page.locator('.tabs a[data-view="history"]').click();
    const row = page.locator('#history-table tr[data-path$="/small.txt"]');
    await row.locator('.badge', { hasText: 'done' }).waitFor();

    const popup = page.context().waitForEvent('page');
    await row.getByRole('button', { name: 'Download link for small.txt' }).click();
    const opened = await popup;
    const link = page.locator('.toast .download-link').last();
    await link.waitFor();
    const url = await link.getAttribute('href');
    assert.ok(url !== null && url.startsWith(info.endpoint), `a URL on the store: ${url}`);
    assert.match(url, new RegExp(`/${bucket.name}/up/small\\.txt\\?`));
    await eventually('the new tab pointed at the link', () =>
      Promise.resolve(opened.url() === url || opened.isClosed()),
    );
    await opened.close().catch(() => undefined);
    await browser.screenshot(page, 'link');

    const res = await fetch(url);
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(sha256(body), sha256(await readFile(small)));

    const secret = info.secretAccessKey;
    assert.ok(!(await page.content()).includes(secret), 'no secret in the page');
  });

  it('the events list shows the agent start and the uploads', async () => {
    await page.locator('.tabs a[data-view="events"]').click();
    await page.locator('#events-list li[data-type="agent.started"]').waitFor();
    await page.locator('#events-list li[data-type="file.done"]').first().waitFor();
    await page.locator('#events-type').fill('file.done');
    await eventually('only file.done events listed', async () => {
      const types = await page
        .locator('#events-list li[data-type]')
        .evaluateAll((els) =>
          els.map((e) => (e as unknown as { dataset: { type: string } }).dataset.type),
        );
      return types.length >= 2 && types.every((t) => t === 'file.done');
    });
    await browser.screenshot(page, 'events');
  });

  it('is readable on a phone (390x844)', async () => {
    const phone = await browser.open(await agent.dashboardUrl(), 'phone');
    await phone.getByRole('switch', { name: 'Run job inbox' }).waitFor();
    await browser.screenshot(phone, 'phone-overview', { fullPage: true });
    // nothing wider than the screen: the page never scrolls sideways
    const width = await phone.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
          .document.documentElement.scrollWidth,
    );
    assert.ok(width <= 390, `page width ${width} fits 390 px`);
    await phone.locator('.tabs a[data-view="history"]').click();
    await phone.locator('#history-table tr[data-path$="/big.bin"]').waitFor();
    await browser.screenshot(phone, 'phone-history');
    assert.deepEqual(browser.errors(), []);
  });
});
