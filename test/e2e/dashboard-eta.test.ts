/**
 * The queue's time left and each job's throughput in a real browser, with a real agent on the
 * real RGW: nothing left ("—"), a queue waiting under a paused job ("paused", its files and bytes
 * left), the estimate appearing once the job is resumed (throttled to 1 MiB/s, so the uploads last
 * several seconds), then nothing left again and the job's throughput over the last minute, in
 * bytes and files. On a laptop screen (1280x800) and a phone.
 */
import assert from 'node:assert/strict';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { launchBrowser, type BrowserSession } from '../support/browser.js';
import { writeRandomFile } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MiB = 1024 * 1024;
const FILES = 8;

describe('dashboard: the time left of the queue and the throughput of each job', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let inbox: string;
  let agent: AgentProcess;
  let browser: BrowserSession;
  let page: Page;

  /** The overview's Time left tile, once it reads `text`. */
  const tile = (text: string | RegExp): Locator =>
    page.locator('.tile[data-tile="time left"] .tile-n', { hasText: text });
  const card = (): Locator => page.locator('#jobs article[data-job="slow"]');
  const tab = (view: string): Promise<void> => page.locator(`.tabs a[data-view="${view}"]`).click();

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'dash-eta');
    tmp = await makeTmpDir('dash-eta');
    const dir = join(tmp.path, 'agent');
    inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    await mkdir(join(dir, 'quiet'), { recursive: true });
    // 1 MiB/s: 8 files of 1 MiB take about 8 s, long enough to see the estimate
    agent = await startAgentProcess(
      dir,
      `api:
  port: ${await freePort()}
jobs:
  - name: slow
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: slow
      endpoint: ${info.endpoint}
      bwlimit: 1MiB
  - name: quiet
    sources: [${JSON.stringify(join(dir, 'quiet'))}]
    destination:
      bucket: ${bucket.name}
      prefix: quiet
      endpoint: ${info.endpoint}
`,
      info,
    );
    browser = await launchBrowser('dashboard-eta');
    page = await browser.open(await agent.dashboardUrl());
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('nothing left: the time left reads "—", the jobs "nothing left"', async () => {
    await page.locator('#conn[data-state="live"]').waitFor();
    await tile(/^—$/).waitFor();
    await card().locator('.job-rate', { hasText: 'nothing left' }).waitFor();
    assert.match(await card().locator('.job-rate').innerText(), /nothing moving/);
  });

  it('a queue waiting under a paused job: its files and bytes left, and "paused"', async () => {
    await page.getByRole('switch', { name: 'Run job slow' }).click();
    await card().locator('.badge', { hasText: 'paused' }).waitFor();
    for (let i = 0; i < FILES; i += 1) {
      const file = join(inbox, `clip-${i}.bin`);
      await writeRandomFile(`${file}.tmp`, MiB);
      await rename(`${file}.tmp`, file);
    }
    await card()
      .locator('.job-rate', { hasText: `${FILES} files (8.00 MiB) left` })
      .waitFor();
    await card().locator('.eta[data-eta="paused"]').waitFor();
    await tile('paused').waitFor();
    await browser.screenshot(page, 'paused-queue');
  });

  it('resumed: the estimate appears, then the queue is done and the job shows its throughput', async () => {
    await page.getByRole('switch', { name: 'Run job slow' }).click();
    // the estimate: a time, never a made-up one (it comes once something moved)
    await card().locator('.eta[data-eta="moving"]', { hasText: /^≈ \d/ }).waitFor();
    await tile(/^≈ \d/).waitFor();
    assert.match(await card().locator('.job-rate').innerText(), /(KiB|MiB)\/s/);
    await browser.screenshot(page, 'estimate-overview');
    await tab('queue');
    const eta = page.locator('#queue-eta');
    await eta.locator('.eta[data-eta="moving"]').waitFor();
    assert.match(
      await eta.innerText(),
      /files? \([\d.]+ (KiB|MiB)\) left · .* over the last minute · done in ≈ \d/,
    );
    await browser.screenshot(page, 'estimate-queue');

    await tab('overview');
    await tile(/^—$/).waitFor();
    await card().locator('.job-rate', { hasText: 'nothing left' }).waitFor();
    const rate = await card().locator('.job-rate').innerText();
    // 8 MiB in the last minute: some KiB/s or MiB/s, and the files per second or per minute
    assert.match(
      rate,
      /nothing left · [\d.]+ (KiB|MiB)\/s · [\d.]+ files\/(s|min) over the last minute/,
    );
    const quiet = await page.locator('#jobs article[data-job="quiet"] .job-rate').innerText();
    assert.match(quiet, /nothing left · nothing moving/);
    await browser.screenshot(page, 'throughput', { fullPage: true });
  });

  it('reads on a phone', async () => {
    const phone = await browser.open(await agent.dashboardUrl(), 'phone');
    await phone.locator('#jobs article[data-job="slow"] .job-rate').waitFor();
    await browser.screenshot(phone, 'phone-overview', { fullPage: true });
    await phone.locator('.tabs a[data-view="queue"]').click();
    await phone.locator('#queue-eta').waitFor();
    await browser.screenshot(phone, 'phone-queue', { fullPage: true });
    assert.deepEqual(browser.errors(), []);
  });
});
