/**
 * The crash torture (issue 5, item 1): a real `s3ferry run` carries a mixed workload to the store
 * while it is SIGKILLed at random moments N times and restarted each time; then it runs until
 * everything is done and the end state is verified (verify.ts) and the cost of the crashes is
 * accounted (accounting.ts). The agent talks to the store through the fault proxy, without
 * faults: the proxy only counts what is sent.
 *
 * Kills land anywhere: about one in eight before the API answers (during start-up recovery and
 * the first scan), the others after a random time of work. The workload is written while the
 * kills go on, so that kills find uploads in flight, files still being written and files being
 * renamed into place.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteJournalStore } from '../../../src/journal/sqlite/sqlite-journal-store.js';
import { freePort } from '../agent-process.js';
import { cliEnv } from '../cli.js';
import { seededRandom, startFaultProxy } from '../fault-proxy.js';
import { createTestBucket, makeS3Client, type S3ServerInfo } from '../s3-server.js';
import { makeTmpDir } from '../tmp.js';
import { accountResends, type Accounting } from './accounting.js';
import { startSession } from './agent-runner.js';
import { verifyEndState, type Verdict } from './verify.js';
import { planWorkload, writeWorkload, type FileKind } from './workload.js';

export const PART_SIZE = 5 * 1024 * 1024;
export const CONCURRENCY = 4;
/** The link between agent and store, shaped by the proxy. */
export const LINK_BYTES_PER_SEC = 8 * 1024 * 1024;

export interface TortureOptions {
  readonly info: S3ServerInfo;
  readonly kills: number;
  readonly seed: number;
  /** Files in the workload (default: 2 per kill, at least 30). */
  readonly files?: number;
  /** Longest time an agent runs before it is killed, ms (default 2500). */
  readonly maxUptimeMs?: number;
  /** Keep the directory (journal, inbox, agent log) for inspection. */
  readonly keep?: boolean;
  /** Progress lines (default: none). */
  readonly say?: (line: string) => void;
}

export interface TortureReport {
  readonly seed: number;
  readonly kills: number;
  readonly killsDuringStartup: number;
  readonly files: number;
  readonly filesByKind: Readonly<Record<FileKind, number>>;
  readonly bytes: number;
  readonly partSize: number;
  readonly concurrency: number;
  readonly verdict: Verdict;
  readonly accounting: Accounting;
  /** Sessions that ended by themselves instead of being killed (crashes of the agent). */
  readonly selfExits: readonly number[];
  readonly durationMs: number;
  /** Where the journal, inbox and agent log are (only when kept). */
  readonly dir: string | undefined;
}

function agentConfig(o: {
  port: number;
  journal: string;
  inbox: string;
  bucket: string;
  endpoint: string;
}): string {
  return `journal: ${JSON.stringify(o.journal)}
api:
  port: ${o.port}
log:
  level: info
probeInterval: 1s
jobs:
  - name: torture
    sources: [${JSON.stringify(o.inbox)}]
    settle: 1s
    rescanInterval: 20s
    destination:
      bucket: ${o.bucket}
      prefix: t
      endpoint: ${o.endpoint}
      partSize: ${PART_SIZE}
      multipartThreshold: ${PART_SIZE}
      concurrency: ${CONCURRENCY}
`;
}

/** Polls the journal until every planned file is done and nothing else is pending. */
async function allDone(journal: string, expected: number): Promise<boolean> {
  const store = await SqliteJournalStore.open({ path: journal });
  try {
    const c = await store.countFiles();
    return c.done === expected && Object.entries(c).every(([s, n]) => s === 'done' || n === 0);
  } finally {
    await store.close();
  }
}

/** Runs the torture; rejects only when the harness itself fails (the report holds the verdict). */
export async function runTorture(o: TortureOptions): Promise<TortureReport> {
  const say = o.say ?? (() => undefined);
  const t0 = Date.now();
  const rnd = seededRandom(o.seed);
  const maxUptime = o.maxUptimeMs ?? 2500;
  const count = o.files ?? Math.max(30, o.kills * 2);
  // the workload is written over most of the kill phase (about 1.5 s start-up + uptime per kill)
  const plan = planWorkload(count, Math.max(5000, o.kills * (1500 + maxUptime / 2) * 0.7), o.seed);
  const filesByKind = { small: 0, large: 0, slow: 0, renamed: 0 };
  for (const f of plan.files) filesByKind[f.kind] += 1;

  const tmp = await makeTmpDir('torture');
  const bucket = await createTestBucket(o.info, 'torture');
  const proxy = await startFaultProxy(o.info.endpoint);
  // a slow link keeps requests in flight long enough for kills to cut them
  proxy.setBandwidth(LINK_BYTES_PER_SEC);
  const client = makeS3Client(o.info);
  const inbox = join(tmp.path, 'inbox');
  const journal = join(tmp.path, 'journal.db');
  const logFile = join(tmp.path, 'agent.log');
  const configFile = join(tmp.path, 's3ferry.yaml');
  await mkdir(inbox);
  // A port for each session: one left free while the agent is down can be taken by any other
  // process on the machine (another test's freePort()), and every later session could not listen.
  const configure = async (): Promise<string> => {
    const port = await freePort();
    await writeFile(
      configFile,
      agentConfig({ port, journal, inbox, bucket: bucket.name, endpoint: proxy.url }),
    );
    return `http://127.0.0.1:${port}`;
  };
  const env = cliEnv(o.info);
  const killed = new Set<number>();
  let keep = o.keep === true;
  const selfExits: number[] = [];
  let killsDuringStartup = 0;
  const writer = new AbortController();
  const writing = writeWorkload(inbox, plan, o.seed, writer.signal);
  try {
    for (let k = 1; k <= o.kills; k += 1) {
      proxy.session = k;
      const s = startSession(k, configFile, tmp.path, env, await configure(), logFile);
      if (rnd() < 0.125) {
        killsDuringStartup += 1;
        await sleep(100 + Math.floor(rnd() * 1200));
      } else {
        await s.healthy(); // false when it died: exitedOnItsOwn() below tells
        await sleep(Math.floor(rnd() * maxUptime));
      }
      if (s.exitedOnItsOwn()) selfExits.push(k);
      await s.kill();
      killed.add(k);
      if (k % 10 === 0 || k === o.kills) say(`${k}/${o.kills} kills`);
    }
    say('all kills done; letting the agent finish');
    await writing;
    const last = o.kills + 1;
    proxy.session = last;
    const s = startSession(last, configFile, tmp.path, env, await configure(), logFile);
    await s.healthy();
    const deadline = Date.now() + 10 * 60_000;
    while (!(await allDone(journal, plan.files.length).catch(() => false))) {
      if (s.exitedOnItsOwn() || Date.now() > deadline) break;
      await sleep(500);
    }
    if (s.exitedOnItsOwn()) selfExits.push(last);
    await s.stop();
    say('verifying');
    const verdict = await verifyEndState({
      client,
      bucket: bucket.name,
      prefix: 't/',
      inbox,
      journal,
    });
    const report: TortureReport = {
      seed: o.seed,
      kills: o.kills,
      killsDuringStartup,
      files: plan.files.length,
      filesByKind,
      bytes: plan.totalBytes,
      partSize: PART_SIZE,
      concurrency: CONCURRENCY,
      verdict,
      accounting: accountResends(proxy.log, killed),
      selfExits: [...new Set(selfExits)],
      durationMs: Date.now() - t0,
      dir: undefined,
    };
    // a lost or wrong file, or an agent that died by itself, keeps the log, journal and inbox
    keep ||=
      report.selfExits.length > 0 ||
      verdict.wrong.length + verdict.extra.length + verdict.notDone.length > 0 ||
      verdict.incompleteUploads > 0;
    return { ...report, dir: keep ? tmp.path : undefined };
  } finally {
    writer.abort();
    await writing.catch(() => undefined);
    client.destroy();
    await proxy.close();
    await bucket.cleanup();
    if (!keep) await tmp.cleanup();
  }
}
