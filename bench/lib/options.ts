/** Command-line options of `npm run bench` (bench/run.ts). */
import { DEFAULT_LOAD_WAIT_MIN, MAX_LOAD_1MIN } from './load-gate.js';
import { TOOL_IDS, type ToolId } from './tools.js';
import {
  DEFAULT_WORKLOADS,
  QUICK_SCALE,
  TLS_TWINS,
  WORKLOAD_IDS,
  type WorkloadId,
} from './workloads.js';

/** The parts of the suite besides the tool comparison. */
export const EXTRA_IDS = ['burst', 'latency', 'journal', 'crash', 'profile', 'costs'] as const;
export type ExtraId = (typeof EXTRA_IDS)[number];

export interface BenchOptions {
  /** Everything scaled down (1/16) for a smoke run. */
  readonly quick: boolean;
  /** Counts and the big file divided by this (1: full size; 16 with --quick). */
  readonly scale: number;
  readonly workloads: readonly WorkloadId[];
  /**
   * The RGW serves HTTPS too (virtual-hosted names, a CA of the bench's own), and each small-file
   * workload also runs over it (W2 -> W2T, W3 -> W3T): s3ferry, rclone and curl over the same TLS.
   */
  readonly tls: boolean;
  /** The tools compared (default all but the baseline; the baseline with --baseline). */
  readonly tools: readonly ToolId[];
  /**
   * Another s3ferry checkout (built) run as the tool `baseline`, interleaved with this one: a
   * before/after comparison in one session.
   */
  readonly baseline?: string;
  /** Extra arguments for the tool `s3ferry` (not the baseline), e.g. ['--concurrency', '8']. */
  readonly s3ferryArgs: readonly string[];
  /** Only write the report again from this results JSON (after editing bench/optimizations.md). */
  readonly render?: string;
  /** Rounds of every tool on every workload (interleaved). */
  readonly rounds: number;
  readonly extras: readonly ExtraId[];
  /** The Markdown report (absolute or relative to the working directory). */
  readonly out: string;
  /** Keep the RGW and the generated data at the end (to poke at them). */
  readonly keep: boolean;
  /** How long the million-file journal figure may take before it is reported as timed out. */
  readonly journalTimeoutMin: number;
  /** How long to wait for the load average to settle before the run (load-gate.ts). */
  readonly loadWaitMin: number;
  /** Run even when the load stays high; the report then says "not usable" in place of ratios. */
  readonly ignoreLoad: boolean;
}

export const USAGE = `usage: node dist/bench/run.js [options]
  --quick               scale every workload and agent figure down 1/16 (a smoke run)
  --scale N             divide file counts and the 1 GiB file by N (default 1; 16 with --quick)
  --workloads W1,W3     only these workloads (default W1,W2,W3,W4; 'none' for none; W2T and W3T
                        are W2 and W3 over HTTPS, virtual-hosted)
  --tls                 also each small-file workload over HTTPS with virtual-hosted addressing
                        (W2 -> W2T, W3 -> W3T; s3ferry, rclone and curl over the same TLS); rclone
                        needs the names in /etc/hosts, which the bench adds and removes as root
  --tools a,b           only these tools: baseline,s3ferry,aws,rclone,rclone-tuned,curl
                        (default all; baseline only with --baseline)
  --baseline DIR        another s3ferry checkout, built (DIR/dist/src/cli/main.js), run as the
                        tool 'baseline' in the same rounds: before/after in one session
  --s3ferry-args 'A B'  extra arguments for s3ferry upload (not the baseline), split on spaces;
                        with --baseline set to this checkout, compares settings of one build
  --rounds N            rounds per tool and workload, interleaved (default 3, at least 1)
  --extras a,b          agent and engine figures: burst,latency,journal,crash,profile,costs
                        (default all; 'none'); burst: the agent burst against rclone
  --out FILE            the report (default docs/benchmarks.md; bench/results/quick.md when scaled)
  --journal-timeout MIN stop waiting for the million files after MIN minutes (default 20; 5 with --quick)
  --render FILE.json    measure nothing: write the report again from earlier results (e.g.
                        bench/results/benchmarks.json after editing bench/optimizations.md)
  --keep                leave the RGW running and the data in place at the end
  --load-wait MIN       wait up to MIN minutes (default ${DEFAULT_LOAD_WAIT_MIN}) for the 1-minute load average to
                        fall to ${MAX_LOAD_1MIN} before the run; 0: do not wait
  --ignore-load         run even if it stays higher: the report says "not usable: load X" in
                        place of ratios (without it, the bench refuses to run)
`;

function list<T extends string>(raw: string, allowed: readonly T[], what: string): T[] {
  if (raw === 'none') return [];
  const out: T[] = [];
  for (const item of raw.split(',').map((s) => s.trim())) {
    const found = allowed.find((a) => a.toLowerCase() === item.toLowerCase());
    if (found === undefined)
      throw new Error(`unknown ${what} '${item}' (one of ${allowed.join(', ')})`);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

const TLS_IDS: ReadonlySet<WorkloadId> = new Set(Object.values(TLS_TWINS));

/** `ids` with the TLS twin of each small-file workload right after it (none twice). */
function withTlsTwins(ids: readonly WorkloadId[]): WorkloadId[] {
  const out: WorkloadId[] = [];
  for (const id of ids) {
    if (!out.includes(id)) out.push(id);
    const twin = TLS_TWINS[id];
    if (twin !== undefined && !out.includes(twin) && !ids.includes(twin)) out.push(twin);
  }
  return out;
}

/** Parses argv (without node and the script); throws an Error with the reason on bad usage. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let keep = false;
  let scale: number | undefined;
  let tools: ToolId[] | undefined;
  let baseline: string | undefined;
  let s3ferryArgs: string[] = [];
  let render: string | undefined;
  let workloads: WorkloadId[] = [...DEFAULT_WORKLOADS];
  let tls = false;
  let extras: ExtraId[] = [...EXTRA_IDS];
  let rounds = 3;
  let out: string | undefined;
  let journalTimeoutMin: number | undefined;
  let loadWaitMin = DEFAULT_LOAD_WAIT_MIN;
  let ignoreLoad = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--quick':
        quick = true;
        break;
      case '--keep':
        keep = true;
        break;
      case '--tls':
        tls = true;
        break;
      case '--scale':
        scale = Number(value());
        if (!Number.isInteger(scale) || scale < 1)
          throw new Error('--scale must be an integer >= 1');
        break;
      case '--tools':
        tools = list(value(), TOOL_IDS, 'tool');
        break;
      case '--baseline':
        baseline = value();
        break;
      case '--render':
        render = value();
        break;
      case '--s3ferry-args':
        s3ferryArgs = value()
          .split(' ')
          .filter((a) => a !== '');
        break;
      case '--workloads':
        workloads = list(value(), WORKLOAD_IDS, 'workload');
        break;
      case '--extras':
        extras = list(value(), EXTRA_IDS, 'extra');
        break;
      case '--rounds':
        rounds = Number(value());
        if (!Number.isInteger(rounds) || rounds < 1)
          throw new Error('--rounds must be an integer >= 1');
        break;
      case '--journal-timeout':
        journalTimeoutMin = Number(value());
        if (!(journalTimeoutMin > 0))
          throw new Error('--journal-timeout must be a positive number');
        break;
      case '--out':
        out = value();
        break;
      case '--load-wait':
        loadWaitMin = Number(value());
        if (!(loadWaitMin >= 0)) throw new Error('--load-wait must be a number of minutes >= 0');
        break;
      case '--ignore-load':
        ignoreLoad = true;
        break;
      case '--help':
      case '-h':
        throw new Error('help');
      default:
        throw new Error(`unknown option ${name}`);
    }
  }
  if (tools?.includes('baseline') === true && baseline === undefined)
    throw new Error('the tool baseline needs --baseline DIR');
  const reduced = quick || (scale ?? 1) > 1;
  const selected = tls ? withTlsTwins(workloads) : workloads;
  return {
    quick,
    scale: scale ?? (quick ? QUICK_SCALE : 1),
    keep,
    workloads: selected,
    tls: selected.some((id) => TLS_IDS.has(id)),
    tools: tools ?? TOOL_IDS.filter((t) => t !== 'baseline' || baseline !== undefined),
    ...(baseline === undefined ? {} : { baseline }),
    s3ferryArgs,
    ...(render === undefined ? {} : { render }),
    extras,
    rounds,
    journalTimeoutMin: journalTimeoutMin ?? (reduced ? 5 : 20),
    loadWaitMin,
    ignoreLoad,
    out: out ?? (reduced ? 'bench/results/quick.md' : 'docs/benchmarks.md'),
  };
}
