/**
 * `npm run bench:memory`: peak RSS of `s3ferry upload` sending a 1 GiB file at default settings to
 * the project's RGW on loopback (the target: under 150 MiB). Not a test: a figure, printed and
 * saved to bench/results/memory-1gib.json. The object is verified (size and sha256).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cliEnv,
  fileSha256,
  objectDigest,
  spawnCli,
  writeRandomFile,
} from '../test/support/cli.js';
import { createTestBucket, makeS3Client, rgwServer } from '../test/support/s3-server.js';
import { makeTmpDir } from '../test/support/tmp.js';

const GIB = 1024 ** 3;
const LIMIT_MIB = 150;

async function peakRssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = status === undefined ? null : /^VmHWM:\s+(\d+) kB/m.exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]) / 1024;
}

const info = await rgwServer();
const bucket = await createTestBucket(info, 'bench-memory');
const tmp = await makeTmpDir('bench-memory');
const client = makeS3Client(info);
try {
  const file = join(tmp.path, 'one-gib.bin');
  await writeRandomFile(file, GIB);
  const started = Date.now();
  const proc = spawnCli(
    [
      'upload',
      file,
      '--to',
      `s3://${bucket.name}/`,
      '--endpoint-url',
      info.endpoint,
      '--journal',
      join(tmp.path, 'j.db'),
    ],
    cliEnv(info),
  );
  let peak = 0;
  const pid = proc.child.pid ?? 0;
  const state = { done: false };
  void proc.result.then(() => {
    state.done = true;
  });
  while (!state.done) {
    peak = Math.max(peak, (await peakRssMiB(pid)) ?? 0);
    await sleep(20);
  }
  const res = await proc.result;
  const seconds = (Date.now() - started) / 1000;
  if (res.code !== 0) throw new Error(`upload failed (${String(res.code)}): ${res.stderr}`);
  const got = await objectDigest(client, bucket.name, 'one-gib.bin');
  const verified = got.size === GIB && got.sha256 === (await fileSha256(file));
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    fileBytes: GIB,
    settings: 'defaults (part size 8 MiB, concurrency 16, 6 part buffers)',
    peakRssMiB: Math.round(peak * 10) / 10,
    limitMiB: LIMIT_MIB,
    seconds: Math.round(seconds * 100) / 100,
    mibPerSec: Math.round((1024 / seconds) * 10) / 10,
    verified,
    pass: verified && peak < LIMIT_MIB,
  };
  await mkdir(new URL('../../bench/results/', import.meta.url), { recursive: true });
  await writeFile(
    new URL('../../bench/results/memory-1gib.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  process.stdout.write(
    `1 GiB upload at default settings: peak RSS ${result.peakRssMiB} MiB (limit ${LIMIT_MIB} MiB), ${result.seconds} s, ${result.mibPerSec} MiB/s, verified: ${String(verified)} -> ${result.pass ? 'PASS' : 'FAIL'}\n`,
  );
  process.exitCode = result.pass ? 0 : 1;
} finally {
  client.destroy();
  await bucket.cleanup();
  await tmp.cleanup();
}
