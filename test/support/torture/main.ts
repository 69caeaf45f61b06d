/**
 * `npm run torture -- --kills N [--seed S] [--files F] [--keep] [--json FILE]` (`--help` prints
 * this usage line): the crash torture against the local RGW (started by scripts/s3/start-rgw.sh
 * when S3_ENDPOINT is not set). Prints the figures; exits 1 when a promise was broken, 2 on bad
 * usage.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { rgwServer } from '../s3-server.js';
import { runTorture } from './harness.js';
import { brokenPromises, formatReport } from './report.js';

const USAGE = 'usage: npm run torture -- --kills N [--seed S] [--files F] [--keep] [--json FILE]';

function whole(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        kills: { type: 'string' },
        seed: { type: 'string' },
        files: { type: 'string' },
        keep: { type: 'boolean' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (args.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let kills: number, seed: number, files: number | undefined;
  try {
    kills = whole('kills', args.kills, 200);
    seed = whole('seed', args.seed, Math.floor(Math.random() * 2 ** 31));
    files = args.files === undefined ? undefined : whole('files', args.files, 0);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const say = (line: string): void => {
    process.stderr.write(`torture: ${line}\n`);
  };
  const info = await rgwServer();
  say(`${kills} kills, seed ${seed}, store ${info.endpoint}`);
  const report = await runTorture({
    info,
    kills,
    seed,
    ...(files === undefined ? {} : { files }),
    keep: args.keep === true,
    say,
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (args.json !== undefined) {
    const { accounting, ...rest } = report;
    const json = {
      ...rest,
      accounting: { ...accounting, unexplained: accounting.unexplained.length },
      at: new Date().toISOString(),
      node: process.version,
    };
    await writeFile(args.json, `${JSON.stringify(json, null, 2)}\n`);
  }
  return brokenPromises(report).length === 0 ? 0 : 1;
}

process.exitCode = await main();
