/**
 * Failures in the dashboard, with a real agent on the real RGW, all through the UI: wrong keys
 * (the destination's cause and fix shown; the YAML fixed and reloaded from the UI; the waiting file
 * goes), a file parked for a key that is too long (cause and fix in Failed; the key template fixed
 * and reloaded; Retry on the row uploads it), and a missing bucket (created, then Retry now on
 * the destination). A parked file is "parked" there as in the CLI; a skipped file (a changed file
 * under an existing key) shows in Skipped with its reason; a missing source directory shows on its
 * job with the fix. The parked and waiting files are grouped by cause (three keys too long, parked;
 * a file the store answers with 500, through the fault proxy, waiting) with their count, cause,
 * fix and newest file, and Retry on a group releases all of its files. The secret never reaches
 * the page.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Locator, Page } from 'playwright-core';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { eventually, launchBrowser, type BrowserSession } from '../support/browser.js';
import { isProbeKey } from '../../src/domain/capabilities.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const WRONG_SECRET = 'not-the-secret-dashboard';

describe('dashboard: failures with their cause and fix; reload and retry from the UI', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let later: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let dir: string;
  const inbox = { creds: '', deep: '', later: '', keys: '', flaky: '' };
  let proxy: FaultProxy;
  let yaml: string;
  let agent: AgentProcess;
  let browser: BrowserSession;
  let page: Page;

  const exists = (b: string, key: string): Promise<boolean> =>
    client.send(new HeadObjectCommand({ Bucket: b, Key: key })).then(
      () => true,
      () => false,
    );

  /** Writes s3ferry.yaml and presses "Reload config" in the UI; waits for its answer. */
  async function reloadWith(text: string): Promise<void> {
    yaml = text;
    await writeFile(join(dir, 's3ferry.yaml'), yaml);
    await page.getByRole('button', { name: 'Reload config' }).click();
    await page.locator('.toast', { hasText: 'Configuration reloaded.' }).last().waitFor();
  }

  const tab = (view: string): Promise<void> => page.locator(`.tabs a[data-view="${view}"]`).click();
  /** The destination's card on the overview, by its s3://bucket/prefix. */
  const destination = (where: string): Locator =>
    page.locator('#destinations article', { hasText: where });

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'dash-fail');
    // a bucket that exists only later: created for its unique name and cleanup, deleted at once
    later = await createTestBucket(info, 'dash-later');
    await client.send(new DeleteBucketCommand({ Bucket: later.name }));
    tmp = await makeTmpDir('dash-fail');
    dir = join(tmp.path, 'agent');
    // every PUT of a file with "flaky" in its key is answered 500: a transient error, the file
    // waits (the capability probe's scratch key is left alone: the destination itself is fine)
    proxy = await startFaultProxy(info.endpoint);
    proxy.addRule({
      match: (r) => r.operation === 'PutObject' && r.key.includes('flaky') && !isProbeKey(r.key),
      fault: { kind: 'error', status: 500 },
    });
    for (const name of ['creds', 'deep', 'later', 'keys', 'flaky'] as const) {
      inbox[name] = join(dir, name);
      await mkdir(inbox[name], { recursive: true });
    }
    // probeInterval 1h: nothing recovers by itself during the test, only through the UI
    yaml = `api:
  port: ${await freePort()}
probeInterval: 1h
jobs:
  - name: creds
    sources: [${JSON.stringify(inbox.creds)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: creds
      endpoint: ${info.endpoint}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${WRONG_SECRET}
  - name: deep
    sources: [${JSON.stringify(inbox.deep)}]
    settle: 1s
    key: '{path}'
    destination:
      bucket: ${bucket.name}
      prefix: deep
      endpoint: ${info.endpoint}
  - name: later
    sources: [${JSON.stringify(inbox.later)}]
    settle: 1s
    destination:
      bucket: ${later.name}
      endpoint: ${info.endpoint}
  - name: lost
    sources: [${JSON.stringify(join(dir, 'lost'))}]
    destination:
      bucket: ${bucket.name}
      prefix: lost
      endpoint: ${info.endpoint}
  - name: keys
    sources: [${JSON.stringify(inbox.keys)}]
    settle: 1s
    key: '{path}'
    destination:
      bucket: ${bucket.name}
      prefix: keys
      endpoint: ${info.endpoint}
  - name: flaky
    sources: [${JSON.stringify(inbox.flaky)}]
    settle: 1s
    retryTimeout: 1s
    destination:
      bucket: ${bucket.name}
      prefix: flaky
      endpoint: ${proxy.url}
`;
    agent = await startAgentProcess(dir, yaml, info);
    browser = await launchBrowser('dashboard-failures');
    page = await browser.open(await agent.dashboardUrl());
  });

  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await proxy.close();
    await bucket.cleanup();
    await later.cleanup().catch(() => undefined);
    await tmp.cleanup();
    client.destroy();
  });

  it('wrong keys: the destination shows the cause and the fix; the file waits', async () => {
    const dest = destination(`s3://${bucket.name}/creds`);
    await dest.locator('.badge', { hasText: 'unhealthy' }).waitFor();
    const text = await dest.innerText();
    assert.match(text, /ERR_S3_SIGNATURE_MISMATCH/);
    assert.match(text, /SignatureDoesNotMatch/);
    assert.match(text, /Fix: .*secret access key/i);
    const job = page.locator('#jobs article[data-job="creds"]');
    await job.locator('.badge', { hasText: 'unhealthy' }).waitFor();

    await writeFile(join(inbox.creds, 'c.txt'), 'sent once the keys are right');
    await tab('queue');
    const row = page.locator('#queue-table tr[data-path$="/c.txt"]');
    await row.waitFor();
    assert.match(await row.innerText(), /waits for its destination: .*SignatureDoesNotMatch/);
    await browser.screenshot(page, 'wrong-keys-queue');
    await tab('overview');
    await browser.screenshot(page, 'wrong-keys-overview', { fullPage: true });
    assert.ok(!(await page.content()).includes(WRONG_SECRET), 'the secret never reaches the page');
  });

  it('the keys fixed in the YAML and reloaded from the UI: the destination is healthy, the file done', async () => {
    await reloadWith(yaml.replace(WRONG_SECRET, info.secretAccessKey));
    await destination(`s3://${bucket.name}/creds`)
      .locator('.badge', { hasText: /^healthy$/ })
      .waitFor();
    await tab('history');
    await page
      .locator('#history-table tr[data-path$="/c.txt"]')
      .locator('.badge', { hasText: 'done' })
      .waitFor();
    assert.ok(await exists(bucket.name, 'creds/c.txt'));
    await browser.screenshot(page, 'keys-fixed-history');
  });

  it('a parked file shows its cause and fix; after the key template is fixed, Retry uploads it', async () => {
    // '{path}' under 5 directories of 240 characters: a key over S3's 1,024 bytes
    let d = join(inbox.deep, 'x');
    for (let i = 0; i < 5; i += 1) d = join(d, 'd'.repeat(240));
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'long.txt'), 'parked, then retried');

    await tab('queue');
    const parkedTab = page.locator('.seg[data-state="parked"]');
    assert.match(await parkedTab.innerText(), /^Parked/, 'one word everywhere: parked');
    await parkedTab.click();
    const row = page.locator('#queue-table tr[data-path$="/long.txt"]');
    await row.waitFor();
    const text = await row.innerText();
    await row.locator('.badge', { hasText: /^parked$/ }).waitFor();
    assert.doesNotMatch(text, /failed/i);
    assert.match(text, /ERR_KEY_INVALID/);
    assert.match(text, /Fix: /);
    await browser.screenshot(page, 'parked');

    await reloadWith(yaml.replace("key: '{path}'", "key: 'short/{name}'"));
    // a reload keeps parked files parked: the fix is applied by Retry
    await page.locator('.seg[data-state="parked"]').click();
    await row.waitFor();
    await row.getByRole('button', { name: 'Retry long.txt' }).click();
    await page.locator('.toast', { hasText: 'long.txt released for another try.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await tab('history');
    await page
      .locator('#history-table tr[data-path$="/long.txt"]')
      .locator('.badge', { hasText: 'done' })
      .waitFor();
    assert.ok(await exists(bucket.name, 'deep/short/long.txt'));
  });

  it('a missing bucket: the cause is shown; once created, Retry now sends the waiting file', async () => {
    await tab('overview');
    const dest = destination(`s3://${later.name}/`);
    await dest.locator('.badge', { hasText: 'unhealthy' }).waitFor();
    assert.match(await dest.innerText(), /does not exist/);
    await writeFile(join(inbox.later, 'l.txt'), 'waits for its bucket');
    await tab('queue');
    await page.locator('.seg[data-state="pending"]').click();
    await page.locator('#queue-table tr[data-path$="/l.txt"]').waitFor();

    await client.send(new CreateBucketCommand({ Bucket: later.name }));
    await tab('overview');
    await browser.screenshot(page, 'missing-bucket', { fullPage: true });
    await dest.getByRole('button', { name: /^Retry .* now$/ }).click();
    await dest.locator('.badge', { hasText: /^healthy$/ }).waitFor();
    await eventually('l.txt uploaded', () => exists(later.name, 'l.txt'));
    await tab('history');
    await page
      .locator('#history-table tr[data-path$="/l.txt"]')
      .locator('.badge', { hasText: 'done' })
      .waitFor();
    await browser.screenshot(page, 'all-recovered');
    assert.ok(!(await page.content()).includes(info.secretAccessKey), 'no secret in the page');
    assert.ok((await readFile(join(dir, 's3ferry.yaml'), 'utf8')).includes('short/{name}'));
    assert.deepEqual(browser.errors(), []);
  });

  it('a missing source directory shows on its job with the fix; a skipped file shows in Skipped with its reason', async () => {
    await tab('overview');
    const job = page.locator('#jobs article[data-job="lost"]');
    await job.locator('.badge', { hasText: 'source problem' }).waitFor();
    const text = await job.innerText();
    assert.match(text, /source directory \S*lost does not exist/);
    assert.match(
      text,
      /Fix: create \S*lost, or correct jobs\[3\]\.sources\[0\] in the configuration/,
    );
    const tiles = await page.locator('.tiles').innerText();
    assert.match(tiles, /Parked/);
    assert.doesNotMatch(tiles, /Failed/);
    await browser.screenshot(page, 'source-problem');

    const file = join(inbox.deep, 'twice.txt');
    await writeFile(file, 'the first version');
    await eventually('twice.txt uploaded', () => exists(bucket.name, 'deep/short/twice.txt'));
    await writeFile(file, 'a second, changed version');
    await tab('queue');
    await page.locator('.seg[data-state="skipped"]').click();
    const row = page.locator('#queue-table tr[data-path$="/twice.txt"]');
    await row.waitFor();
    await row.locator('.badge', { hasText: /^skipped$/ }).waitFor();
    assert.match(await row.innerText(), /exists/);
    await browser.screenshot(page, 'skipped');
    assert.deepEqual(browser.errors(), []);
  });
  it('parked and waiting files grouped by cause, with count, cause, fix and newest; Retry on a group releases it', async () => {
    // three keys over S3's 1,024 bytes ('{path}' under 5 directories of 240 characters)
    let d = join(inbox.keys, 'x');
    for (let i = 0; i < 5; i += 1) d = join(d, 'k'.repeat(240));
    await mkdir(d, { recursive: true });
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await writeFile(join(d, name), name);
    await writeFile(join(inbox.flaky, 'flaky.txt'), 'the store answers 500');

    await tab('queue');
    await page.locator('.seg[data-state="parked"]').click();
    const keys = page.locator('#failure-groups article[data-code="ERR_KEY_INVALID"]');
    await keys.locator('.failure-count', { hasText: /^3 files$/ }).waitFor();
    await keys.locator('.badge', { hasText: /^3 parked$/ }).waitFor();
    const text = await keys.innerText();
    assert.match(text, /1,024|1024/, 'the cause');
    assert.match(text, /Fix: /);
    assert.match(text, /Newest: [abc]\.txt \(keys, parked\)/);
    const flaky = page.locator('#failure-groups article[data-code="ERR_S3_SERVER"]');
    await flaky.locator('.failure-count', { hasText: /^1 file$/ }).waitFor();
    await flaky.locator('.badge', { hasText: /^1 waiting$/ }).waitFor();
    assert.match(await flaky.innerText(), /Newest: flaky\.txt \(flaky, waiting\)/);
    assert.match(await page.locator('#failure-groups-note').innerText(), /4 files in 2 groups/);
    await browser.screenshot(page, 'by-cause');
    await page.setViewportSize({ width: 1280, height: 800 });
    await browser.screenshot(page, 'by-cause-1280x800');

    await keys.getByRole('button', { name: 'Retry the 3 files of ERR_KEY_INVALID' }).click();
    await page
      .locator('.toast', { hasText: '3 files of ERR_KEY_INVALID released for another try.' })
      .waitFor();
    // released, each is tried again (its key is still too long) and parked a second time
    await eventually('the three files tried again', async () => {
      const r = await agent.api<{ items: { attempts: number }[] }>(
        'GET',
        '/api/v1/queue?state=parked&job=keys',
      );
      return r.items.length === 3 && r.items.every((f) => f.attempts === 2);
    });
    const flakyPuts = proxy.log.filter(
      (e) => e.operation === 'PutObject' && e.key.includes('flaky') && !isProbeKey(e.key),
    );
    assert.ok(flakyPuts.length > 0 && flakyPuts.every((e) => e.status === 500));

    const phone = await browser.open(await agent.dashboardUrl(), 'phone');
    await phone.evaluate(() => {
      (globalThis as unknown as { location: { hash: string } }).location.hash =
        '#/queue?state=parked';
    });
    await phone.locator('#failure-groups article[data-code="ERR_KEY_INVALID"]').waitFor();
    await browser.screenshot(phone, 'by-cause-phone', { fullPage: true });
    assert.deepEqual(browser.errors(), []);
  });
});
