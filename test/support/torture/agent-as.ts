/**
 * A real `s3ferry run` under another user (root only): tests of unreadable files and directories
 * need an agent that permissions apply to, and root reads everything. The agent's directory is
 * handed to that user; its API, log and stop work like test/support/agent-process.ts's.
 */
import { spawn } from 'node:child_process';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { superviseAgent, type AgentProcess } from '../agent-process.js';
import { CLI_PATH, cliEnv } from '../cli.js';
import type { S3ServerInfo } from '../s3-server.js';

/** nobody:nogroup on Debian. */
export const NOBODY = { uid: 65534, gid: 65534 } as const;

/** True when this process may start processes as another user. */
export function canSwitchUser(): boolean {
  return process.getuid?.() === 0;
}

/** Writes the config to dir/s3ferry.yaml, gives `dir` to the user, starts the agent as that user. */
export async function startAgentAs(
  user: { uid: number; gid: number },
  dir: string,
  yaml: string,
  info: S3ServerInfo,
  port: number,
): Promise<AgentProcess> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 's3ferry.yaml'), yaml);
  await chown(dir, user.uid, user.gid);
  await chown(join(dir, 's3ferry.yaml'), user.uid, user.gid);
  const url = `http://127.0.0.1:${port}`;
  // its own home and state directory (where it keeps its API token), as that user would have
  const env = { ...cliEnv(info), HOME: dir, XDG_STATE_HOME: join(dir, '.state') };
  const config = join(dir, 's3ferry.yaml');
  const child = spawn(process.execPath, [CLI_PATH, 'run', '--config', config], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: user.uid,
    gid: user.gid,
  });
  return superviseAgent(child, url, { env, config });
}
