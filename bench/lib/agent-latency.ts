/**
 * File finished -> object visible, with the agent running: files written one by one into a
 * watched directory; each file's latency is the time of its `file.done` event (logged once the
 * object is verified) minus the moment its writer closed it, minus the settle window (the wait the
 * configuration asks for).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/agent-process.js';
import { startBenchAgent } from './agent-runner.js';
import type { RgwInfo } from './rgw.js';
import { percentile } from './stats.js';

export interface LatencyResult {
  readonly files: number;
  readonly fileBytes: number;
  readonly intervalMs: number;
  readonly settleMs: number;
  /** Latency minus the settle window, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly agentPeakRssMiB: number;
}

const SETTLE_MS = 1000;
const INTERVAL_MS = 200;
const FILE_BYTES = 64 * 1024;

export async function measureLatency(o: {
  dir: string;
  rgw: RgwInfo;
  bucket: string;
  env: NodeJS.ProcessEnv;
  files: number;
  log: (line: string) => void;
}): Promise<LatencyResult> {
  const inbox = join(o.dir, 'inbox');
  await mkdir(inbox, { recursive: true });
  const port = await freePort();
  const yaml = `journal: ${JSON.stringify(join(o.dir, 'journal.db'))}
api:
  port: ${port}
log:
  level: info
jobs:
  - name: latency
    sources: [${JSON.stringify(inbox)}]
    settle: ${SETTLE_MS}ms
    destination:
      bucket: ${o.bucket}
      prefix: latency-${randomBytes(3).toString('hex')}
      endpoint: ${o.rgw.endpoint}
`;
  const agent = await startBenchAgent(o.dir, yaml, port, o.env);
  try {
    await sleep(1000); // the start-up scan and the destination's first probe
    const finishedAt = new Map<string, number>();
    for (let i = 0; i < o.files; i++) {
      const path = join(inbox, `f${String(i).padStart(5, '0')}.bin`);
      await writeFile(path, randomBytes(FILE_BYTES));
      finishedAt.set(path, Date.now());
      await sleep(INTERVAL_MS);
    }
    const doneAt = await waitForDone(agent.logFile, finishedAt, 120_000 + o.files * 1000);
    const lat = [...finishedAt].map(
      ([path, t]) => (doneAt.get(path) ?? Number.NaN) - t - SETTLE_MS,
    );
    const result = {
      files: o.files,
      fileBytes: FILE_BYTES,
      intervalMs: INTERVAL_MS,
      settleMs: SETTLE_MS,
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      maxMs: Math.max(...lat),
      agentPeakRssMiB: await agent.peakRssMiB(),
    };
    o.log(
      `latency beyond the ${SETTLE_MS} ms settle window over ${o.files} files: p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await agent.stop();
  }
}

/** Reads the agent's log until every path has its `file.done`; returns each one's time (ms). */
async function waitForDone(
  logFile: string,
  paths: ReadonlyMap<string, number>,
  timeoutMs: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = new Map<string, number>();
    for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
      if (!line.includes('"file.done"')) continue;
      const e = JSON.parse(line) as { event?: string; path?: string; time?: string };
      if (e.event === 'file.done' && e.path !== undefined && e.time !== undefined)
        done.set(e.path, Date.parse(e.time));
    }
    if ([...paths.keys()].every((p) => done.has(p))) return done;
    if (Date.now() > deadline)
      throw new Error(`only ${done.size} of ${paths.size} files were done in time (${logFile})`);
    await sleep(250);
  }
}
