/**
 * `s3ferry run` logs for whoever reads it: readable lines on a terminal (a real pty from
 * `script`, as in upload-progress-tty.test.ts), JSON lines into a pipe (journald, a log shipper),
 * and what `log.format` says when it is set.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_PATH } from '../support/cli.js';
import { makeTmpDir } from '../support/tmp.js';

const shellQuote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
const ESC = '\u001b';
/** The text without its colour codes. */
const plainText = (s: string) => s.replace(new RegExp(`${ESC}\\[\\d+m`, 'g'), '');

/**
 * Runs the agent with a config of `log` settings, on a pty (`tty`) or into a pipe, until it has
 * logged that it stopped after a Ctrl-C; resolves what it wrote (into a pipe: its stdout).
 */
async function runAgent(log: string, tty: boolean): Promise<string> {
  const tmp = await makeTmpDir('log-format');
  try {
    const config = join(tmp.path, 's3ferry.yaml');
    await writeFile(config, `journal: ${join(tmp.path, 'j.db')}\napi: {port: 0}\nlog: ${log}\n`);
    const args = [CLI_PATH, 'run', '--config', config];
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('S3FERRY_'))),
      TERM: 'xterm',
    };
    const child = tty
      ? spawn(
          'script',
          ['-qefc', [process.execPath, ...args].map(shellQuote).join(' '), '/dev/null'],
          {
            env,
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        )
      : spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    let interrupted = false;
    child.stdin.on('error', () => undefined); // the agent may be gone by the time a write lands
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      stdout += d;
      // started: interrupt it as a person would (on the pty, Ctrl-C is a SIGINT to the agent)
      if (/API listening/.test(out) && !interrupted) {
        interrupted = true;
        if (tty) child.stdin.write('\u0003');
        else child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
    assert.ok(code === 0 || code === 130, `exit ${String(code)} ${String(signal)}: ${out}`);
    // on a pty both streams are one; into a pipe the log is stdout (stderr has the operator's
    // messages, such as the dashboard link)
    return tty ? out : stdout;
  } finally {
    await tmp.cleanup();
  }
}

describe('log.format', () => {
  it('auto on a terminal: one readable line per record, level in colour', async () => {
    const out = await runAgent('{}', true);
    assert.ok(out.includes(`${ESC}[32mINFO${ESC}[39m`), out);
    const plain = plainText(out);
    assert.match(
      plain,
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: agent\.started: s3ferry agent started with 0 job\(s\) \{"jobs":\[\],"agent":"[^"]+"\}\r?$/m,
    );
    assert.match(plain, /INFO: agent\.stopped: s3ferry agent stopped/);
    assert.doesNotMatch(plain, /"level":30/);
  });

  it('auto into a pipe: JSON lines', async () => {
    const out = await runAgent('{}', false);
    const records = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; level: number });
    assert.ok(
      records.some((r) => r.event === 'agent.started' && r.level === 30),
      out,
    );
    assert.ok(
      records.some((r) => r.event === 'agent.stopped'),
      out,
    );
  });

  it('format: json on a terminal, and format: pretty into a pipe (no colour there)', async () => {
    const json = await runAgent('{format: json}', true);
    assert.match(json, /^\{"level":30,.*"event":"agent\.started"/m);
    const pretty = await runAgent('{format: pretty}', false);
    assert.match(pretty, /^\[[\d :.-]+\] INFO: agent\.started: s3ferry agent started/m);
    assert.ok(!pretty.includes(ESC), pretty);
  });
});
