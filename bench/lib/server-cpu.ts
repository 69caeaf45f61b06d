/**
 * The CPU the bench's own Ceph cluster (radosgw, ceph-osd, ceph-mon) spends during a run. On a
 * small machine the server shares the cores with the client, so for small objects its CPU per
 * object bounds what any client can reach. Measured as utime + stime of each daemon from
 * /proc/PID/stat (the whole process: every thread, live or exited), read just before and just
 * after a run. The daemons are found by start-rgw.sh's PID files and checked by their command line
 * (a PID file can be stale), as stop-rgw.sh does.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The daemons of start-rgw.sh, by the name of their PID file in RGW_DIR/run. */
export const RGW_DAEMONS = ['client.rgw.a', 'osd.0', 'mon.a'] as const;

/** CPU ticks (utime + stime) per PID at one moment. */
export type CpuSample = ReadonlyMap<number, number>;

/**
 * utime + stime, in clock ticks, from the text of /proc/PID/stat (fields 14 and 15). The command
 * name (field 2) is in parentheses and may itself hold spaces and parentheses, so the fields are
 * counted from the last ')'. Throws on text that is not such a line.
 */
export function parseProcStatCpuTicks(text: string): number {
  const end = text.lastIndexOf(')');
  if (end < 0 || text.indexOf('(') < 0) throw new Error(`not a /proc/PID/stat line: ${text}`);
  // after the comm: field 3 (state) is index 0, so fields 14 and 15 are indexes 11 and 12
  const fields = text
    .slice(end + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (fields.length < 13 || !Number.isInteger(utime) || !Number.isInteger(stime))
    throw new Error(`no utime/stime in /proc/PID/stat line: ${text}`);
  return utime + stime;
}

/**
 * CPU seconds spent between two samples, summed over their processes. undefined when the two do not
 * cover the same processes (a daemon died or was restarted in between: its ticks are lost) or a
 * count went backwards (a reused PID).
 */
export function cpuDeltaSec(
  before: CpuSample,
  after: CpuSample,
  ticksPerSec: number,
): number | undefined {
  if (before.size === 0 || before.size !== after.size) return undefined;
  let ticks = 0;
  for (const [pid, t0] of before) {
    const t1 = after.get(pid);
    if (t1 === undefined || t1 < t0) return undefined;
    ticks += t1 - t0;
  }
  return ticks / ticksPerSec;
}

/** Reads the CPU of a fixed set of processes; undefined when one of them is gone. */
export interface ServerCpuProbe {
  /** The daemons found (names of RGW_DAEMONS) and their PIDs. */
  readonly daemons: readonly { readonly name: string; readonly pid: number }[];
  readonly ticksPerSec: number;
  sample(): Promise<CpuSample | undefined>;
}

/** Clock ticks per second of /proc/PID/stat's times (getconf CLK_TCK; 100 when unknown). */
export async function clockTicks(): Promise<number> {
  const r = await promisify(execFile)('getconf', ['CLK_TCK']).catch(() => undefined);
  const ticks = Number(r?.stdout.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

/** The PID in RGW_DIR/run/NAME.pid if it is a live daemon started with RGW_DIR/ceph.conf. */
async function daemonPid(rgwDir: string, name: string): Promise<number | undefined> {
  const pid = Number(
    (await readFile(join(rgwDir, 'run', `${name}.pid`), 'utf8').catch(() => '')).trim(),
  );
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0').includes(join(rgwDir, 'ceph.conf')) ? pid : undefined;
}

/**
 * A probe of the cluster started by start-rgw.sh in `rgwDir`. Throws when none of its daemons is
 * running; a daemon that is missing is left out (and named in `daemons` only when found).
 */
export async function serverCpuProbe(rgwDir: string): Promise<ServerCpuProbe> {
  const found: { name: string; pid: number }[] = [];
  for (const name of RGW_DAEMONS) {
    const pid = await daemonPid(rgwDir, name);
    if (pid !== undefined) found.push({ name, pid });
  }
  if (found.length === 0) throw new Error(`no Ceph daemon of ${rgwDir} is running`);
  return {
    daemons: found,
    ticksPerSec: await clockTicks(),
    async sample() {
      const out = new Map<number, number>();
      for (const { pid } of found) {
        const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
        if (text === undefined) return undefined;
        out.set(pid, parseProcStatCpuTicks(text));
      }
      return out;
    },
  };
}
