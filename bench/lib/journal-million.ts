/**
 * Discovering and journaling a million empty files: a `mode: scan` job, started paused (files
 * are still queued, none is uploaded), pointed at a tree of N empty files; the figure is the time
 * from the agent's start until its status shows every file queued, and its peak RSS (VmHWM).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/agent-process.js';
import { procStatusMiB, startBenchAgent } from './agent-runner.js';
import type { RgwInfo } from './rgw.js';

export interface JournalResult {
  readonly files: number;
  /** Files journaled when the wait ended (all of them unless timedOut). */
  readonly journaled: number;
  readonly seconds: number;
  readonly filesPerSec: number;
  readonly peakRssMiB: number;
  readonly createSeconds: number;
  /** From the agent's start until its API answered. */
  readonly apiSeconds: number;
  readonly timedOut: boolean;
}

const FILES_PER_DIR = 1000;
/** States a file is in before it is queued (not yet journaled as work to do). */
const UNSETTLED = new Set(['discovered', 'settling']);

/** N empty files in directories of 1,000 (sync calls: the fastest way from Node). */
function createEmptyFiles(root: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const dir = join(root, `d${String(Math.floor(i / FILES_PER_DIR)).padStart(4, '0')}`);
    if (i % FILES_PER_DIR === 0) mkdirSync(dir, { recursive: true });
    closeSync(openSync(join(dir, `e${String(i % FILES_PER_DIR).padStart(4, '0')}`), 'w'));
  }
}

export async function measureJournal(o: {
  dir: string;
  rgw: RgwInfo;
  bucket: string;
  env: NodeJS.ProcessEnv;
  files: number;
  timeoutMs: number;
  log: (line: string) => void;
}): Promise<JournalResult> {
  const tree = join(o.dir, 'tree');
  const t0 = Date.now();
  createEmptyFiles(tree, o.files);
  const createSeconds = (Date.now() - t0) / 1000;
  o.log(`created ${o.files.toLocaleString('en-US')} empty files in ${createSeconds.toFixed(1)} s`);
  const port = await freePort();
  const yaml = `journal: ${JSON.stringify(join(o.dir, 'journal.db'))}
api:
  port: ${port}
log:
  level: warn
jobs:
  - name: million
    sources: [${JSON.stringify(tree)}]
    mode: scan
    paused: true
    settle: 1s
    destination:
      bucket: ${o.bucket}
      prefix: million
      endpoint: ${o.rgw.endpoint}
`;
  const agent = await startBenchAgent(o.dir, yaml, port, o.env, o.timeoutMs);
  const apiSeconds = (Date.now() - agent.spawnedAt) / 1000;
  o.log(`the agent's API answered after ${apiSeconds.toFixed(1)} s`);
  try {
    let journaled = 0;
    let timedOut = false;
    let lastLog = Date.now();
    for (;;) {
      const status = await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status');
      journaled = Object.entries(status.files)
        .filter(([state]) => !UNSETTLED.has(state))
        .reduce((s, [, n]) => s + n, 0);
      if (journaled >= o.files) break;
      if (Date.now() - agent.spawnedAt > o.timeoutMs) {
        timedOut = true;
        break;
      }
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        const rss = await procStatusMiB(agent.child.pid ?? 0, 'VmRSS');
        o.log(`  ${journaled.toLocaleString('en-US')} journaled, RSS ${rss.toFixed(0)} MiB`);
      }
      await sleep(1000);
    }
    const seconds = (Date.now() - agent.spawnedAt) / 1000;
    const result = {
      files: o.files,
      journaled,
      seconds,
      filesPerSec: journaled / seconds,
      peakRssMiB: await agent.peakRssMiB(),
      createSeconds,
      apiSeconds,
      timedOut,
    };
    o.log(
      `journaled ${journaled.toLocaleString('en-US')} of ${o.files.toLocaleString('en-US')} files in ${seconds.toFixed(1)} s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB${timedOut ? ' (TIMED OUT)' : ''}`,
    );
    return result;
  } finally {
    await agent.stop();
  }
}
