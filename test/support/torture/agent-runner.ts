/**
 * One `s3ferry run` process of the crash torture: started, possibly killed before its API answers,
 * SIGKILLed or stopped. Its output is appended to a log file shared by all sessions, each session
 * introduced by a marker line, so that a failure can be traced to the session that caused it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH } from '../cli.js';

export interface AgentSession {
  readonly child: ChildProcess;
  /** Resolves true once /healthz answers, false if the process ended first or `deadline` passed. */
  healthy(deadlineMs?: number): Promise<boolean>;
  /** True when the process ended by itself (not killed by us). */
  exitedOnItsOwn(): boolean;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the agent with `config`; `env` carries the store's keys. */
export function startSession(
  session: number,
  config: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  apiUrl: string,
  logFile: string,
): AgentSession {
  appendFileSync(logFile, `\n===== session ${session} ${new Date().toISOString()} =====\n`);
  const child = spawn(process.execPath, [CLI_PATH, 'run', '--config', config], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const write = (d: Buffer): void => {
    appendFileSync(logFile, d);
  };
  child.stdout.on('data', write);
  child.stderr.on('data', write);
  const exited = once(child, 'exit');
  let killedByUs = false;
  return {
    child,
    async healthy(deadlineMs = 60_000) {
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        const ok = await fetch(`${apiUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return true;
        await sleep(25);
      }
      return false;
    },
    exitedOnItsOwn: () => !killedByUs && (child.exitCode !== null || child.signalCode !== null),
    async kill() {
      killedByUs = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      killedByUs = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
