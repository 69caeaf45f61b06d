/** Debian tools some tests drive (promtool, systemd-analyze, man, groff), installed when missing. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(
  new URL('../../../scripts/test/ensure-debian-tool.sh', import.meta.url),
);

/**
 * Makes sure `command` is on PATH: scripts/test/ensure-debian-tool.sh apt-get installs Debian's
 * `pkg` when it is missing (as root), else rejects with the script's message saying how.
 */
export async function ensureDebianTool(command: string, pkg: string): Promise<void> {
  try {
    await run('bash', [SCRIPT, command, pkg], { timeout: 15 * 60_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} is not available: ${stderr.trim() || String(err)}`);
  }
}
