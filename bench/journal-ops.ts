/**
 * `node dist/bench/journal-ops.js [--files N] [--workers N] [--rounds N] [--synchronous full]
 * [--agent]`: main-thread CPU that the SQLite journal costs per uploaded small file, the calls of
 * one single-PUT upload replayed without S3 or files (bench/lib/journal-sequence.ts). A first,
 * shorter round warms up and is not counted. Prints CPU ms per file for every round and their
 * median. Not a test: a figure.
 */
import { parseArgs } from 'node:util';
import { journalRound } from './lib/journal-sequence.js';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    synchronous: { type: 'string', default: 'normal' },
    agent: { type: 'boolean', default: false },
  },
});
const FILES = Number(args.files);
const ROUNDS = Number(args.rounds);
const options = {
  workers: Number(args.workers),
  synchronous: args.synchronous === 'full' ? ('full' as const) : ('normal' as const),
  agent: args.agent,
};
const round = (files: number): ReturnType<typeof journalRound> =>
  journalRound({ ...options, files });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const sequence = options.agent ? 'upload + agent' : 'upload';
console.log(
  `journal-ops: ${FILES} files x ${ROUNDS} rounds, ${options.workers} workers, ${sequence} sequence, synchronous=${options.synchronous}`,
);
await round(Math.min(FILES, 500)); // warm-up (JIT, page cache), not counted
const cpu: number[] = [];
const wall: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  const res = await round(FILES);
  cpu.push(res.cpuMsPerFile);
  wall.push(res.wallMsPerFile);
  console.log(
    `  round ${r}: ${res.cpuMsPerFile.toFixed(3)} ms CPU/file, ${res.wallMsPerFile.toFixed(3)} ms wall/file`,
  );
}
console.log(
  `median: ${median(cpu).toFixed(3)} ms CPU/file, ${median(wall).toFixed(3)} ms wall/file`,
);
