/** Command-line options of `npm run bench:fleet` (bench/fleet.ts). */
import { DEFAULT_LOAD_WAIT_MIN, MAX_LOAD_1MIN } from './load-gate.js';

/** The parts of the fleet benchmark. */
export const FLEET_PARTS = ['agents', 'queue'] as const;
export type FleetPart = (typeof FLEET_PARTS)[number];

export interface FleetOptions {
  readonly rounds: number;
  readonly quick: boolean;
  readonly keep: boolean;
  /** What runs: the agents on S3 and PostgreSQL, the PostgreSQL queue alone, or both. */
  readonly parts: readonly FleetPart[];
  /** How long to wait for the load average to settle before the run (load-gate.ts). */
  readonly loadWaitMin: number;
  /** Run even when the load stays high; the section then says "not usable". */
  readonly ignoreLoad: boolean;
}

export const FLEET_USAGE = `usage: npm run bench:fleet -- [options]
  --rounds N       interleaved rounds of every configuration (default 2)
  --quick          smaller workloads (400 small files, 4 large ones; 200 files through the queue)
  --only PART      only 'agents' (s3ferry run processes on S3 and PostgreSQL) or 'queue' (the
                   PostgreSQL queue alone: claims, transitions, heartbeats; no S3)
  --keep           keep the servers and the work directory afterwards
  --load-wait MIN  wait up to MIN minutes (default ${DEFAULT_LOAD_WAIT_MIN}) for the 1-minute load average to fall
                   to ${MAX_LOAD_1MIN} before the run; 0: do not wait
  --ignore-load    run even if it stays higher: the section says "not usable: load X" in place
                   of ratios (without it, the bench refuses to run)
`;

/** Parses argv (without node and the script); throws an Error with the reason on bad usage. */
export function parseFleetOptions(argv: readonly string[]): FleetOptions {
  let rounds = 2;
  let quick = false;
  let keep = false;
  let parts: FleetPart[] = [...FLEET_PARTS];
  let loadWaitMin = DEFAULT_LOAD_WAIT_MIN;
  let ignoreLoad = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v === '') throw new Error(`${String(a)} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a === '--keep') keep = true;
    else if (a === '--ignore-load') ignoreLoad = true;
    else if (a === '--rounds') rounds = Number(value());
    else if (a === '--load-wait') loadWaitMin = Number(value());
    else if (a === '--only') {
      const part = value();
      const found = FLEET_PARTS.find((p) => p === part);
      if (found === undefined)
        throw new Error(`--only takes ${FLEET_PARTS.join(' or ')}, not '${part}'`);
      parts = [found];
    } else if (a === '--help' || a === '-h') throw new Error('help');
    else throw new Error(`unknown option ${String(a)}`);
  }
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error('--rounds takes a whole number >= 1');
  if (!(loadWaitMin >= 0)) throw new Error('--load-wait must be a number of minutes >= 0');
  return { rounds, quick, keep, parts, loadWaitMin, ignoreLoad };
}
