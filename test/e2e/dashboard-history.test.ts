/**
 * The dashboard over a big journal, with a real agent that requires a token: the token prompt
 * (a wrong token refused, the right one kept for the tab), then a history of 100,000 rows (written
 * with SqliteJournalStore.addHistory before the agent starts) paged, filtered and sorted on the
 * server: the first page, the next one, the last one, a text search, a result filter, a sort; and
 * the same on a phone. No timing assertions: the rows and totals shown are checked.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { launchBrowser, type BrowserSession } from '../support/browser.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const ROWS = 100_000;
const TOKEN = 'dashboard-test-token-4f1c9a';
const BASE_TIME = Date.UTC(2024, 0, 1);
const name = (i: number): string => `row-${String(i).padStart(6, '0')}.bin`;
/** Every 100th row failed: 1,000 of them. */
const failed = (i: number): boolean => i % 100 === 7;

describe('dashboard: token prompt, and a history of 100,000 rows paged on the server', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let browser: BrowserSession;
  let page: Page;

  /** The file names in the history table, top to bottom. */
  const shownNames = (p: Page): Promise<string[]> =>
    p
      .locator('#history-table tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => String((r as unknown as { dataset: { path?: string } }).dataset.path)),
      )
      .then((paths) => paths.map((x) => x.slice(x.lastIndexOf('/') + 1)));
  const firstRow = (p: Page, file: string): Locator =>
    p
      .locator('#history-table tbody tr')
      .first()
      .and(p.locator(`tr[data-path$="/${file}"]`));

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'dash-history');
    tmp = await makeTmpDir('dash-history');
    const dir = join(tmp.path, 'agent');
    const archive = join(dir, 'archive');
    await mkdir(archive, { recursive: true });
    const journalPath = join(dir, 'journal.db');
    const journal = await SqliteJournalStore.open({ path: journalPath });
    try {
      // short paths: each row's text is indexed for search, and 100,000 rows add up
      for (let i = 0; i < ROWS; i += 1) {
        await journal.addHistory({
          sourcePath: `/srv/archive/${name(i)}`,
          endpoint: info.endpoint,
          bucket: bucket.name,
          key: `archive/${name(i)}`,
          size: 1_000 + i,
          startedAt: BASE_TIME + i * 1000,
          finishedAt: BASE_TIME + i * 1000 + 500,
          avgBytesPerSec: 2 * (1_000 + i),
          attempts: failed(i) ? 3 : 1,
          etag: failed(i) ? null : 'd41d8cd98f00b204e9800998ecf8427e',
          checksum: null,
          result: failed(i) ? 'failed' : 'done',
          error: failed(i) ? 'ERR_S3_SERVER: 503 SlowDown outlasted the retry budget' : null,
          job: 'archive',
        });
      }
    } finally {
      await journal.close();
    }
    agent = await startAgentProcess(
      dir,
      `journal: ${JSON.stringify(journalPath)}
api:
  port: ${await freePort()}
  token: ${TOKEN}
jobs:
  - name: archive
    sources: [${JSON.stringify(archive)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: archive
      endpoint: ${info.endpoint}
`,
      info,
    );
    browser = await launchBrowser('dashboard-history');
    page = await browser.open(`${agent.url}/#/history`);
  });

  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('asks for the token; a wrong one is refused, the right one opens the dashboard', async () => {
    const dialog = page.getByRole('dialog', { name: 'API token required' });
    await dialog.waitFor();
    await browser.screenshot(page, 'token-prompt');
    await dialog.getByLabel('Token').fill('not-the-token');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.getByText('That token was refused.').waitFor();
    await dialog.getByLabel('Token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('#conn[data-state="live"]').waitFor();
    // kept for this tab only, and never shown
    assert.equal(
      await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
        ).sessionStorage.getItem('s3ferry.token'),
      ),
      TOKEN,
    );
    assert.ok(!(await page.locator('body').innerText()).includes(TOKEN));
  });

  it('shows the first page and the total, then pages forward to page 2 and to the last page', async () => {
    await page.locator('#history-total', { hasText: '100,000 uploads' }).waitFor();
    await firstRow(page, name(ROWS - 1)).waitFor();
    assert.equal((await shownNames(page)).length, 50);
    await page.locator('.pager-info', { hasText: '1–50 of 100,000 · page 1 of 2,000' }).waitFor();
    await browser.screenshot(page, 'page-1');

    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('.pager-info', { hasText: '51–100 of 100,000 · page 2 of 2,000' }).waitFor();
    await firstRow(page, name(ROWS - 51)).waitFor();
    const page2 = await shownNames(page);
    assert.deepEqual(
      page2,
      Array.from({ length: 50 }, (_, k) => name(ROWS - 51 - k)),
      'page 2 holds rows 51 to 100, newest first',
    );
    await browser.screenshot(page, 'page-2');

    await page.getByRole('button', { name: 'Last page' }).click();
    await page.locator('.pager-info', { hasText: 'page 2,000 of 2,000' }).waitFor();
    await firstRow(page, name(49)).waitFor();
    assert.equal((await shownNames(page)).at(-1), name(0));
  });

  it('filters by text and by result, and sorts by size, on the server', async () => {
    await page.locator('#history-q').fill('row-012345');
    await page.locator('#history-total', { hasText: /^1 matching upload$/ }).waitFor();
    assert.deepEqual(await shownNames(page), [name(12_345)]);
    await page.locator('#history-q').fill('');
    await page.locator('#history-total', { hasText: '100,000 uploads' }).waitFor();

    await page.locator('#history-result').selectOption('failed');
    await page.locator('#history-total', { hasText: '1,000 matching uploads' }).waitFor();
    await firstRow(page, name(99_907)).waitFor();
    const row = page.locator('#history-table tbody tr').first();
    assert.match(await row.innerText(), /503 SlowDown/);
    assert.equal(await row.getByRole('button', { name: /Download link/ }).count(), 0);
    await browser.screenshot(page, 'failed-only');
    await page.locator('#history-result').selectOption('');

    await page.getByRole('button', { name: /^Size/ }).click();
    await page.locator('th[aria-sort="descending"]', { hasText: 'Size' }).waitFor();
    await firstRow(page, name(ROWS - 1)).waitFor();
    await page.getByRole('button', { name: /^Size/ }).click();
    await page.locator('th[aria-sort="ascending"]', { hasText: 'Size' }).waitFor();
    await firstRow(page, name(0)).waitFor();
    assert.deepEqual(
      await shownNames(page),
      Array.from({ length: 50 }, (_, k) => name(k)),
    );
  });

  it('pages the 100,000 rows on a phone (390x844)', async () => {
    const phone = await browser.open(`${agent.url}/#/history`, 'phone');
    // a new context: its own sessionStorage, so the prompt comes again
    const dialog = phone.getByRole('dialog', { name: 'API token required' });
    await dialog.getByLabel('Token').fill(TOKEN);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await phone.locator('#history-total', { hasText: '100,000 uploads' }).waitFor();
    await phone.getByRole('button', { name: 'Next page' }).click();
    await phone.locator('.pager-info', { hasText: '51–100 of 100,000' }).waitFor();
    await firstRow(phone, name(ROWS - 51)).waitFor();
    await browser.screenshot(phone, 'phone-page-2');
    const unexpected = browser
      .errors()
      .filter((e) => !/status of 401/.test(e) && !/EventSource/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
