/**
 * Runs one client command under GNU time and measures it: wall time (from here, monotonic), user
 * and system CPU seconds of the process and every descendant it waited for (the whole client
 * process tree), and the max RSS. GNU time's %M is the largest max RSS of any single process of
 * that tree, not a sum: every client here is one process (node, python, rclone, curl -Z); the
 * curl ceiling of W1 is a small bash script around three curl processes, one at a time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { GNU_TIME } from './paths.js';

export interface Timing {
  readonly wallSec: number;
  readonly userSec: number;
  readonly sysSec: number;
  readonly maxRssMiB: number;
}

export interface TimedResult extends Timing {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TimedCommand {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Files that get the command's stdout and stderr (and GNU time's figures: `<stderr>.time`). */
  readonly stdoutFile: string;
  readonly stderrFile: string;
  /** SIGKILL after this long. */
  readonly timeoutMs: number;
}

/** Parses GNU time's `-f '%e %U %S %M'` line (the last line of its output file). */
export function parseGnuTime(text: string): Omit<Timing, 'wallSec'> & { elapsed: number } {
  const last = text.trim().split('\n').pop() ?? '';
  const [e, u, s, m] = last.trim().split(/\s+/).map(Number);
  if ([e, u, s, m].some((v) => v === undefined || !Number.isFinite(v)))
    throw new Error(`unreadable GNU time output: ${JSON.stringify(text)}`);
  return { elapsed: e ?? 0, userSec: u ?? 0, sysSec: s ?? 0, maxRssMiB: (m ?? 0) / 1024 };
}

export async function timedRun(c: TimedCommand): Promise<TimedResult> {
  const timeFile = `${c.stderrFile}.time`;
  const out = await open(c.stdoutFile, 'w');
  const err = await open(c.stderrFile, 'w');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, c.cmd, ...c.args], {
      env: c.env,
      ...(c.cwd === undefined ? {} : { cwd: c.cwd }),
      stdio: ['ignore', out.fd, err.fd],
      // its own process group, so a timeout kills the client too, not only GNU time
      detached: true,
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, c.timeoutMs);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
    if (signal !== null)
      throw new Error(`${c.cmd} was killed by ${signal} after ${wallSec.toFixed(1)} s`);
    const t = parseGnuTime(await readFile(timeFile, 'utf8'));
    return { code, signal, wallSec, userSec: t.userSec, sysSec: t.sysSec, maxRssMiB: t.maxRssMiB };
  } finally {
    await out.close();
    await err.close();
  }
}
