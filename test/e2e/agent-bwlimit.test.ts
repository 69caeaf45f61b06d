/**
 * Bandwidth limits changed live (issue 16 item 3), through a real agent, its API and the real CLI
 * against the test RGW:
 * - a destination limited to 1 KiB/s holds a 6 MiB upload after its first 5 MiB part (the second
 *   part's turn is 85 minutes away); status and /metrics report 1 KiB/s;
 * - `s3ferry bwlimit 64MiB --destination slow` (the name of its entry under destinations:) changes
 *   it mid-upload: status and /metrics report 64 MiB/s, and the held upload completes with the
 *   file's bytes; the change and the override are events;
 * - the dashboard's overview shows the destination's limit and the agent's, and follows a change;
 * - `--for 2h` lasts exactly two hours, `reset` brings back the configured limit, bad input and a
 *   stopped agent get a clear error and exit 2.
 * No assertion on elapsed time: under the old limit the upload could not finish within the test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BandwidthView } from '../../src/control/control-service.js';
import type { EventRecord } from '../../src/journal/journal-store.js';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import {
  CLI_PATH,
  cliEnv,
  fileSha256,
  objectDigest,
  writeRandomFile,
  type CliResult,
} from '../support/cli.js';
import { launchBrowser } from '../support/browser.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { parsePrometheus, sampleValue } from './api-support.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const SIZE = 6 * MIB; // two parts of 5 MiB and 1 MiB

interface TransferAnswer {
  items: { path: string; bytesDone: number; size: number }[];
}

describe('bandwidth limits changed live', () => {
  const fx = S3Fixture.use('agent-bwlimit');
  let yamlPath: string;
  let agent: AgentProcess;
  let slow: string; // the destination's name, as status gives it

  async function cli(...args: string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [CLI_PATH, ...args, '--config', yamlPath], {
      cwd: fx.tmp.path,
      env: cliEnv(fx.info),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr, events: [] };
  }

  async function json<T>(...args: string[]): Promise<T> {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  }

  const gauges = async (): Promise<{ agent: number | undefined; slow: number | undefined }> => {
    const text = await (await fetch(`${agent.url}/metrics`)).text();
    const s = parsePrometheus(text);
    const g = (destination: string) =>
      sampleValue(s, 's3ferry_bwlimit_bytes_per_second', { destination });
    return { agent: g('*'), slow: g(slow) };
  };

  before(async () => {
    const dir = join(fx.tmp.path, 'agent');
    yamlPath = join(dir, 's3ferry.yaml');
    await mkdir(join(fx.tmp.path, 'inbox'), { recursive: true });
    const yaml = `api:
  port: ${await freePort()}
bwlimit: 1GiB
destinations:
  slow:
    bucket: ${fx.bucket.name}
    prefix: slow
    endpoint: ${fx.info.endpoint}
    partSize: 5MiB
    multipartThreshold: 5MiB
    concurrency: 1
    bwlimit: 1KiB
jobs:
  - name: main
    sources: [${JSON.stringify(join(fx.tmp.path, 'inbox'))}]
    settle: 500ms
    destination: slow
`;
    agent = await startAgentProcess(dir, yaml, fx.info);
    const status = await json<{ bwlimit: BandwidthView }>('status');
    slow = status.bwlimit.destinations[0]?.destination ?? '';
    assert.match(slow, /^s3:\/\/\S+\/slow\/ at http/);
  });

  after(async () => {
    if (agent.child.exitCode === null) await agent.stop();
  });

  it('a held upload goes on at the new limit once it is changed mid-upload', async () => {
    const staged = join(fx.tmp.path, 'big.bin');
    await writeRandomFile(staged, SIZE);
    const file = join(fx.tmp.path, 'inbox', 'big.bin');
    await rename(staged, file);

    // the first part goes at once (a burst of one part); the second waits its turn at 1 KiB/s
    const held = await waitFor('the first part sent', async () => {
      const t = await agent.api<TransferAnswer>('GET', '/api/v1/transfers');
      const item = t.items.find((i) => i.path === file);
      return item !== undefined && item.bytesDone >= 5 * MIB ? item : undefined;
    });
    assert.equal(held.size, SIZE);
    let status = await json<{ bwlimit: BandwidthView; files: Record<string, number> }>('status');
    assert.deepEqual(status.bwlimit.destinations[0], {
      destination: slow,
      bytesPerSec: KIB,
      source: 'config',
      timetable: '1KiB',
    });
    assert.equal(status.bwlimit.agent.bytesPerSec, 1024 * MIB);
    assert.equal(status.files.done ?? 0, 0);
    assert.deepEqual(await gauges(), { agent: 1024 * MIB, slow: KIB });
    const human = await cli('status');
    assert.match(
      human.stdout,
      /^bandwidth of s3:\/\/\S+\/slow\/ at \S+: 1\.00 KiB\/s; configured "1KiB"$/m,
    );
    const still = await agent.api<TransferAnswer>('GET', '/api/v1/transfers');
    assert.equal(still.items.find((i) => i.path === file)?.bytesDone, 5 * MIB, 'held');

    const changed = await json<BandwidthView>('bwlimit', '64MiB', '--destination', 'slow');
    const limit = changed.destinations[0];
    assert.equal(limit?.bytesPerSec, 64 * MIB);
    assert.equal(limit.source, 'override');
    assert.equal(limit.override?.until, null, 'a constant limit: until reset');
    assert.deepEqual(await gauges(), { agent: 1024 * MIB, slow: 64 * MIB });

    // 85 minutes at the old limit; within the test only at the new one
    await waitFor('the upload done', async () => {
      status = await json('status');
      return status.files.done === 1;
    });
    const object = await objectDigest(fx.client, fx.bucket.name, 'slow/big.bin');
    assert.deepEqual(object, { sha256: await fileSha256(file), size: SIZE });
    const events = await agent.api<{ items: EventRecord[] }>('GET', '/api/v1/events?limit=200');
    const about = (type: string) =>
      events.items.filter((e) => e.type === type && e.data?.destination === slow);
    assert.equal(about('bandwidth.override').length, 1);
    assert.deepEqual(about('bandwidth.changed')[0]?.data, {
      destination: slow,
      bytesPerSec: 64 * MIB,
      source: 'override',
    });
  });

  it("the dashboard's overview shows the limits, and a change as it happens", async () => {
    const browser = await launchBrowser('agent-bwlimit');
    try {
      const page = await browser.open(await agent.dashboardUrl());
      const row = page.locator(`#destinations article[data-destination="${slow}"] [data-bwlimit]`);
      await row.filter({ hasText: 'Bandwidth limit: 64.0 MiB/s (override)' }).waitFor();
      const all = page.locator('#bwlimit-agent');
      await all.filter({ hasText: 'All destinations: 1.00 GiB/s' }).waitFor();
      await browser.screenshot(page, 'limits');
      const set = await cli('bwlimit', '3MiB');
      assert.equal(set.code, 0, set.stderr);
      await all.filter({ hasText: 'All destinations: 3.00 MiB/s (override)' }).waitFor();
      const reset = await cli('bwlimit', 'reset');
      assert.equal(reset.code, 0, reset.stderr);
      await all.filter({ hasText: 'All destinations: 1.00 GiB/s' }).waitFor();
      assert.deepEqual(browser.errors(), []);
    } finally {
      await browser.close();
    }
  });

  it('--for lasts that long; reset brings back the configured limit; the CLI shows them', async () => {
    const view = await json<BandwidthView>('bwlimit', '2MiB', '--for', '2h');
    assert.equal(view.agent.bytesPerSec, 2 * MIB);
    const o = view.agent.override;
    assert.equal((o?.until ?? 0) - (o?.setAt ?? 0), 2 * 3_600_000);
    assert.deepEqual(view.agent.next, { at: o?.until, bytesPerSec: 1024 * MIB });
    const shown = await cli('bwlimit');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /^bandwidth over all destinations: 2\.00 MiB\/s \(override\) until \w{3} \d{4}-\d\d-\d\d \d\d:\d\d, then 1\.00 GiB\/s; configured "1GiB"$/m,
    );
    const reset = await json<BandwidthView>('bwlimit', 'reset');
    assert.equal(reset.agent.source, 'config');
    assert.equal(reset.agent.bytesPerSec, 1024 * MIB);
    const back = await json<BandwidthView>('bwlimit', 'reset', '--destination', slow);
    assert.equal(back.destinations[0]?.bytesPerSec, KIB);
  });

  it('bad input names the cause and the fix, and changes nothing', async () => {
    const rate = await cli('bwlimit', '4MB/h');
    assert.equal(rate.code, 2);
    assert.match(rate.stderr, /"4MB\/h" is not a rate: write bytes per second like 4MiB/);
    const where = await cli('bwlimit', '1MiB', '--destination', 'nowhere');
    assert.equal(where.code, 2);
    assert.match(where.stderr, /no destination named nowhere/);
    assert.match(where.stderr, /entry under destinations:/);
    const view = await json<BandwidthView>('bwlimit');
    assert.equal(view.agent.source, 'config');
    assert.equal(view.destinations[0]?.source, 'config');
  });

  it('without a running agent it says that it needs one', async () => {
    await agent.stop();
    const r = await cli('bwlimit', '2MiB');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no s3ferry agent answers at .*/);
    assert.match(r.stderr, /s3ferry run/);
  });
});
