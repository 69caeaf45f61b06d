import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cpuDeltaSec, parseProcStatCpuTicks, serverCpuProbe } from '../../bench/lib/server-cpu.js';

/** A /proc/PID/stat line (Linux 6.x, 52 fields) with this comm, utime and stime. */
function statLine(comm: string, utime: number, stime: number): string {
  const rest = [
    'S', '1', '1234', '1234', '0', '-1', '4194560', '5210', '0', '12', '0',
    String(utime), String(stime),
    '0', '0', '20', '0', '97', '0', '1903', '1500000000', '30000',
    ...Array.from({ length: 30 }, () => '0'),
  ]; // prettier-ignore
  return `1234 (${comm}) ${rest.join(' ')}\n`;
}

describe('bench server CPU: /proc/PID/stat', () => {
  it('reads utime + stime (fields 14 and 15) in clock ticks', () => {
    assert.equal(parseProcStatCpuTicks(statLine('radosgw', 1520, 380)), 1900);
    const real =
      '28484 (cat) R 28482 28482 26813 0 -1 4194304 97 0 0 0 7 3 0 0 20 0 1 0 2439538 3133440 358 18446744073709551615 94448437616640 0';
    assert.equal(parseProcStatCpuTicks(real), 10);
  });

  it('counts the fields from the last parenthesis: a comm may hold spaces and parentheses', () => {
    assert.equal(parseProcStatCpuTicks(statLine('ceph osd (x)', 41, 2)), 43);
    assert.equal(parseProcStatCpuTicks(statLine(') 9 9 9 9 9 9 9 9 9 9 9 9 (', 5, 6)), 11);
    assert.equal(parseProcStatCpuTicks(statLine('', 0, 0)), 0);
  });

  it('throws on text that is not a stat line', () => {
    assert.throws(() => parseProcStatCpuTicks(''), /not a \/proc\/PID\/stat line/);
    assert.throws(() => parseProcStatCpuTicks('1234 (x) S 1 2 3'), /no utime\/stime/);
    assert.throws(
      () => parseProcStatCpuTicks(statLine('x', 1, 2).replace(' 1 2 0 0 20', ' 1 x 0 0 20')),
      /no utime\/stime/,
    );
  });
});

describe('bench server CPU: the delta of two samples', () => {
  it('sums the ticks spent by every process, in seconds', () => {
    const before = new Map([
      [10, 100],
      [11, 5000],
    ]);
    const after = new Map([
      [10, 150],
      [11, 5250],
    ]);
    assert.equal(cpuDeltaSec(before, after, 100), 3);
    assert.equal(cpuDeltaSec(before, before, 100), 0);
  });

  it('is undefined when the processes differ or a count went backwards', () => {
    const before = new Map([
      [10, 100],
      [11, 200],
    ]);
    assert.equal(cpuDeltaSec(before, new Map([[10, 300]]), 100), undefined);
    assert.equal(
      cpuDeltaSec(
        before,
        new Map([
          [10, 300],
          [12, 300],
        ]),
        100,
      ),
      undefined,
      'a restarted daemon has a new PID',
    );
    assert.equal(
      cpuDeltaSec(
        before,
        new Map([
          [10, 300],
          [11, 50],
        ]),
        100,
      ),
      undefined,
    );
    assert.equal(cpuDeltaSec(new Map(), new Map(), 100), undefined);
  });
});

describe('bench server CPU: the probe', () => {
  it("finds a daemon by its PID file and command line and measures its threads' CPU", async () => {
    const dir = await mkdtemp(join(tmpdir(), `s3ferry-bench-cpu-${process.pid}-`));
    // stands in for ceph-osd: started with "-c RGW_DIR/ceph.conf", burns 300 ms of CPU when told
    // to (CPU, not wall time: on a loaded machine 300 ms of wall time may get far less CPU)
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdin.on('data', () => { const cpu = () => { const u = process.cpuUsage();
           return u.user + u.system; }; const end = cpu() + 300_000;
           while (cpu() < end); process.stdout.write('done\\n'); });`,
        '--',
        '-c',
        join(dir, 'ceph.conf'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await mkdir(join(dir, 'run'));
      await writeFile(join(dir, 'run', 'osd.0.pid'), `${String(child.pid)}\n`);
      // a stale PID file: our own process, not started with this ceph.conf
      await writeFile(join(dir, 'run', 'mon.a.pid'), `${String(process.pid)}\n`);
      const probe = await serverCpuProbe(dir);
      assert.deepEqual(probe.daemons, [{ name: 'osd.0', pid: child.pid }]);
      assert.ok(probe.ticksPerSec > 0);
      const before = await probe.sample();
      child.stdin.write('go\n');
      await once(child.stdout, 'data');
      const after = await probe.sample();
      assert.ok(before !== undefined && after !== undefined);
      const sec = cpuDeltaSec(before, after, probe.ticksPerSec);
      assert.ok(sec !== undefined && sec >= 0.2 && sec < 5, `CPU ${String(sec)} s`);
      child.kill();
      await once(child, 'exit');
      assert.equal(await probe.sample(), undefined, 'a daemon that is gone');
    } finally {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('throws when no daemon of the directory is running', async () => {
    const dir = await mkdtemp(join(tmpdir(), `s3ferry-bench-cpu-${process.pid}-`));
    try {
      await assert.rejects(serverCpuProbe(dir), /no Ceph daemon/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
