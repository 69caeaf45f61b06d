/**
 * Job control in the dashboard, with a real agent on the real RGW: the pause switch holds a job's
 * new file pending until the switch resumes it; the top bar's switch pauses everything; the
 * backfill picker finds an old file in a scan job (which would only see it at its next rescan, an
 * hour away), queues it by ticking its box, and another one by a glob; both are uploaded.
 */
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { eventually, launchBrowser, type BrowserSession } from '../support/browser.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

interface QueueAnswer {
  items: { path: string; state: string }[];
}

describe('dashboard: pause and resume a job; backfill old files', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let live: string;
  let archive: string;
  let agent: AgentProcess;
  let browser: BrowserSession;
  let page: Page;

  const exists = (key: string): Promise<boolean> =>
    client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key })).then(
      () => true,
      () => false,
    );
  const tab = (view: string): Promise<void> => page.locator(`.tabs a[data-view="${view}"]`).click();

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'dash-jobs');
    tmp = await makeTmpDir('dash-jobs');
    const dir = join(tmp.path, 'agent');
    live = join(dir, 'live');
    archive = join(dir, 'archive');
    await mkdir(live, { recursive: true });
    await mkdir(join(archive, '2019'), { recursive: true });
    agent = await startAgentProcess(
      dir,
      `api:
  port: ${await freePort()}
jobs:
  - name: live
    sources: [${JSON.stringify(live)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: live
      endpoint: ${info.endpoint}
  - name: archive
    sources: [${JSON.stringify(archive)}]
    mode: scan
    rescanInterval: 1h
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: archive
      endpoint: ${info.endpoint}
`,
      info,
    );
    browser = await launchBrowser('dashboard-jobs');
    page = await browser.open(await agent.dashboardUrl());
  });

  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  it('the switch pauses a job: a new file stays pending until the switch resumes it', async () => {
    const toggle = page.getByRole('switch', { name: 'Run job live' });
    await toggle.waitFor();
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await toggle.click();
    await page.locator('[role="switch"][data-job="live"][aria-checked="false"]').waitFor();
    await page.locator('#jobs article[data-job="live"] .badge', { hasText: 'paused' }).waitFor();
    await browser.screenshot(page, 'paused');

    await writeFile(join(live, 'held.txt'), 'held while paused');
    await tab('queue');
    const row = page.locator('#queue-table tr[data-path$="/held.txt"]');
    await row.locator('.badge', { hasText: 'queued' }).waitFor();
    // queued in the journal while paused, and not uploaded
    const q = await agent.api<QueueAnswer>('GET', '/api/v1/queue?state=pending&job=live');
    assert.deepEqual(
      q.items.map((f) => [f.path, f.state]),
      [[join(live, 'held.txt'), 'queued']],
    );
    assert.equal(await exists('live/held.txt'), false, 'not uploaded while paused');
    await browser.screenshot(page, 'pending-while-paused');

    await tab('overview');
    await toggle.click();
    await page.locator('[role="switch"][data-job="live"][aria-checked="true"]').waitFor();
    await tab('history');
    await page
      .locator('#history-table tr[data-path$="/held.txt"]')
      .locator('.badge', { hasText: 'done' })
      .waitFor();
    assert.ok(await exists('live/held.txt'));
  });

  it('the top bar switch pauses and resumes all processing', async () => {
    const all = page.getByRole('switch', { name: 'Run all jobs' });
    await all.click();
    await page
      .locator('#global-pause[aria-checked="false"]', { hasText: 'All jobs paused' })
      .waitFor();
    assert.equal((await agent.api<{ paused: boolean }>('GET', '/api/v1/status')).paused, true);
    await browser.screenshot(page, 'all-paused');
    await all.click();
    await page
      .locator('#global-pause[aria-checked="true"]', { hasText: 'All jobs running' })
      .waitFor();
    assert.equal((await agent.api<{ paused: boolean }>('GET', '/api/v1/status')).paused, false);
  });

  it('the backfill picker queues an old file of a scan job by its checkbox, another by a glob', async () => {
    // created after the start-up scan, in a job that rescans hourly: only backfill finds them now
    const old = join(archive, '2019', 'old.bin');
    const other = join(archive, 'notes.log');
    await writeFile(old, 'an old recording');
    await writeFile(other, 'an old log');
    const when = new Date('2019-06-01T12:00:00Z');
    await utimes(old, when, when);
    await utimes(other, when, when);

    await tab('backfill');
    await page.locator('#backfill-job').selectOption('archive');
    const folder = page.locator('#backfill-table').getByRole('button', { name: '2019/' });
    await folder.click();
    await page.locator('.crumb-here', { hasText: '2019' }).waitFor();
    const entry = page.locator('#backfill-table tr[data-path$="/2019/old.bin"]');
    await entry.locator('.badge', { hasText: 'not seen' }).waitFor();
    await entry.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Queue 1 file' }).waitFor();
    await browser.screenshot(page, 'backfill-picked');
    await page.getByRole('button', { name: 'Queue 1 file' }).click();
    const result = page.locator('#backfill-result');
    await result.getByText('Queued 1 file').waitFor();
    assert.match(await result.innerText(), /2019\/old\.bin/);
    await browser.screenshot(page, 'backfill-queued');

    // back to the source and a glob for the log
    await page.locator('.crumbs button.crumb').first().click();
    await page.locator('#backfill-table tr[data-path$="/notes.log"]').waitFor();
    await page.locator('#backfill-glob').fill('*.log');
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    await result.getByText(/\/notes\.log$/).waitFor();
    assert.match(await result.innerText(), /^Queued 1 file\./);

    await eventually('both uploaded', async () => {
      return (await exists('archive/2019/old.bin')) && (await exists('archive/notes.log'));
    });
    await tab('history');
    for (const name of ['old.bin', 'notes.log'])
      await page
        .locator(`#history-table tr[data-path$="/${name}"]`)
        .locator('.badge', { hasText: 'done' })
        .waitFor();
    await tab('backfill');
    await page
      .locator('#backfill-table tr[data-path$="/notes.log"]')
      .locator('.badge', { hasText: 'done' })
      .waitFor();
    await browser.screenshot(page, 'backfill-done');
    assert.deepEqual(browser.errors(), []);
  });
});
