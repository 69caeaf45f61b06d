/**
 * The API token, on both sides. The agent (`run`) requires one unless `api.auth: none`: the
 * configured `api.token` (file or S3FERRY_API_TOKEN), else the one it made at its first start in
 * `api.tokenFile` (default: the user's state directory, ~/.local/state/s3ferry/api-token). The
 * CLI finds the same token by itself when it runs as the same user on the same machine, so
 * nothing changes for the operator: --token (warned about: it shows in `ps`), else
 * S3FERRY_API_TOKEN, else the configuration's api.token, else that file. The file's token is only
 * ever sent to an agent on a loopback address: it belongs to the agents of this machine.
 */
import { join, resolve } from 'node:path';
import type { AgentConfig, ApiConfig } from '../config/agent-config.js';
import type { ConfigEnvironment, EnvironmentSettings } from '../config/environment.js';
import { readOrCreateTokenFile, readTokenFile } from '../platform/token-file.js';

/** Where a made token is kept: api.tokenFile (relative to the working directory), else the state directory. */
export function tokenFilePath(api: Pick<ApiConfig, 'tokenFile'>, stateDir: string): string {
  return api.tokenFile === undefined ? join(stateDir, 'api-token') : resolve(api.tokenFile);
}

/** The token the agent requires, and where it came from. */
export interface AgentToken {
  /** undefined: api.auth none (loopback only), no token. */
  readonly token: string | undefined;
  /** The token file, when the token is the one made there. */
  readonly file?: string;
  /** True when this start made the token. */
  readonly created?: boolean;
}

/**
 * The agent's token: see the module comment. Throws ERR_CONFIG_INVALID when the token file is
 * unsafe (another user's, readable by others) or cannot be made.
 */
export function agentToken(api: ApiConfig, stateDir: string): AgentToken {
  if (api.auth === 'none') return { token: undefined };
  if (api.token !== undefined) return { token: api.token };
  const file = tokenFilePath(api, stateDir);
  const { token, created } = readOrCreateTokenFile(file);
  return { token, file, created };
}

/** What the CLI sends, and what to tell the user when the agent refuses it. */
export interface ClientToken {
  readonly token?: string;
  /** Where the token came from, or where the CLI looked, for the hint of a 401. */
  readonly from: string;
}

/** True for an http URL of this machine's loopback (where the token file's agents listen). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** The warning printed when the token is given on the command line. */
export const TOKEN_FLAG_WARNING =
  's3ferry: warning: --token shows in the process list (ps) to every user of this machine; ' +
  'set S3FERRY_API_TOKEN instead, or leave it out: the CLI reads the token file of the ' +
  "agent's user by itself\n";

/** The token the CLI sends to the agent at `url`: see the module comment. */
export function clientToken(o: {
  readonly flag?: string | undefined;
  readonly configEnv: ConfigEnvironment;
  readonly config?: AgentConfig | undefined;
  readonly env: EnvironmentSettings;
  readonly url: string;
}): ClientToken {
  if (o.flag !== undefined) return { token: o.flag, from: '--token' };
  if (o.configEnv.apiToken !== undefined)
    return { token: o.configEnv.apiToken, from: 'S3FERRY_API_TOKEN' };
  if (o.config?.api.token !== undefined) return { token: o.config.api.token, from: 'api.token' };
  const file = tokenFilePath(o.config?.api ?? {}, o.env.stateDir);
  if (!isLoopbackUrl(o.url)) return { from: `nothing (${o.url} is not this machine's loopback)` };
  try {
    const token = readTokenFile(file, false);
    return token === undefined ? { from: `nothing (no ${file})` } : { token, from: file };
  } catch {
    return { from: `nothing (${file} is unusable)` };
  }
}
