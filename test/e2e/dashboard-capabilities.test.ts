/**
 * The dashboard's destination card says what the store accepts, as the agent's capability probe
 * found (GET /api/v1/destinations): a real agent on RGW and a real browser.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { launchBrowser, type BrowserSession } from '../support/browser.js';
import { createTestBucket, rgwServer } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

describe('dashboard: what the store accepts', () => {
  let agent: AgentProcess;
  let browser: BrowserSession;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };

  before(async () => {
    const info = await rgwServer();
    bucket = await createTestBucket(info, 'dash-caps');
    tmp = await makeTmpDir('dash-caps');
    const inbox = join(tmp.path, 'agent', 'inbox');
    await mkdir(inbox, { recursive: true });
    agent = await startAgentProcess(
      join(tmp.path, 'agent'),
      `api:
  port: ${await freePort()}
jobs:
  - name: inbox
    sources: [${JSON.stringify(inbox)}]
    destination:
      bucket: ${bucket.name}
      endpoint: ${info.endpoint}
`,
      info,
    );
    browser = await launchBrowser('dashboard-capabilities');
  });

  after(async () => {
    await browser.close().catch(() => undefined);
    await agent.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('the destination card lists the capabilities, with when they were probed', async () => {
    const page = await browser.open(await agent.dashboardUrl());
    const line = page.locator('#destinations article [data-capabilities]');
    await line.waitFor();
    assert.equal(
      await line.innerText(),
      '✓ conditional PUT · ✓ tags · ✗ Object Lock · ✗ versioning · ✗ CRC32 · ✓ MD5 ETags',
    );
    assert.match(String(await line.getAttribute('title')), /^what the store accepts, probed /);
    await browser.screenshot(page, 'card');
    assert.deepEqual(browser.errors(), []);
  });
});
