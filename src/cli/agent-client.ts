/**
 * How the CLI reaches the agent: through its HTTP API when one runs (found from the config's api
 * host and port, or --api-url, with the token it finds by itself: cli/api-token.ts), else by
 * opening the journal directly (read-only commands and retry).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readConfigEnvironment, readEnvironment } from '../config/environment.js';
import { loadConfig } from '../config/load.js';
import { AppError } from '../errors/app-error.js';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { describeJournal, isJournalUrl, openJournal } from '../journal/open-journal.js';
import type { JournalStore } from '../journal/journal-store.js';
import { clientToken, TOKEN_FLAG_WARNING } from './api-token.js';

export interface ClientOptions {
  config?: string;
  apiUrl?: string;
  token?: string;
  journal?: string;
  json?: boolean;
}

/** Adds --config, --api-url, --token, --journal, --json. */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option(
      '--config <file>',
      'the agent configuration (default ./s3ferry.yaml, env S3FERRY_CONFIG)',
    )
    .option(
      '--api-url <url>',
      "the running agent's API (default from the configuration, http://127.0.0.1:7317)",
    )
    .option(
      '--token <token>',
      "API token (visible in ps: prefer env S3FERRY_API_TOKEN; by default the CLI reads the token file of the agent's user)",
    )
    .option('--journal <file|url>', 'journal (file or postgres:// URL) to read when no agent runs')
    .option('--json', 'JSON output');
}

/** How long a CLI command retries an unreachable PostgreSQL journal before it gives up, in ms. */
const CLI_JOURNAL_RETRY_MS = 5_000;

export type AgentConnection =
  | {
      kind: 'api';
      url: string;
      call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
    }
  /** `path`: the journal file, or the database URL without its password (safe to print). */
  | { kind: 'journal'; journal: JournalStore; path: string };

interface Target {
  url: string;
  token?: string;
  /** Where the token came from (or where the CLI looked), for the hint of a refusal. */
  tokenFrom: string;
  journalPath?: string;
}

/** The agent's error code when it is one of ours (so the exit code is the agent's), else internal. */
function codeOf(status: number, code: string | undefined): ErrorCode {
  if (status === 401) return 'ERR_UNAUTHORIZED';
  return code !== undefined && Object.hasOwn(ERROR_CODES, code)
    ? (code as ErrorCode)
    : 'ERR_INTERNAL';
}

/** The fix of a refused token, naming what the CLI sent. */
function unauthorizedHint(tokenFrom: string): string {
  return (
    `the CLI sent the token from ${tokenFrom}: run it as the agent's user on the agent's machine ` +
    '(it reads the token file by itself), give --config of the agent, or set S3FERRY_API_TOKEN'
  );
}

async function resolveTarget(opts: ClientOptions): Promise<Target> {
  const file = opts.config ?? (existsSync('s3ferry.yaml') ? 's3ferry.yaml' : undefined);
  const config = await loadConfig({ file, flags: { journal: opts.journal } }).catch(
    () => undefined,
  );
  const url =
    opts.apiUrl ??
    (config === undefined
      ? 'http://127.0.0.1:7317'
      : `http://${config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host}:${config.api.port}`);
  if (opts.token !== undefined) process.stderr.write(TOKEN_FLAG_WARNING);
  const { token, from } = clientToken({
    flag: opts.token,
    configEnv: readConfigEnvironment(),
    config,
    env: readEnvironment(),
    url,
  });
  const journalPath = opts.journal ?? config?.journal;
  return {
    url,
    tokenFrom: from,
    ...(token === undefined ? {} : { token }),
    ...(journalPath === undefined ? {} : { journalPath }),
  };
}

/** Connects to the running agent, or opens its journal; `needAgent` refuses the fallback. */
export async function connect(opts: ClientOptions, needAgent: boolean): Promise<AgentConnection> {
  const t = await resolveTarget(opts);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(t.token === undefined ? {} : { authorization: `Bearer ${t.token}` }),
  };
  const up = await fetch(`${t.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (up) {
    return {
      kind: 'api',
      url: t.url,
      call: async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
        const res = await fetch(`${t.url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const json = (await res.json()) as T & {
          error?: { code: string; message: string; hint?: string };
        };
        if (!res.ok) {
          const e = json.error;
          throw new AppError(
            codeOf(res.status, e?.code),
            e?.message ?? `the agent answered ${res.status}`,
            {
              hint:
                res.status === 401
                  ? unauthorizedHint(t.tokenFrom)
                  : (e?.hint ?? 'see the agent log'),
            },
          );
        }
        return json;
      },
    };
  }
  if (needAgent || t.journalPath === undefined) {
    throw new AppError('ERR_USAGE', `no s3ferry agent answers at ${t.url}`, {
      hint: 'start it with `s3ferry run`, or point --api-url / --config at it',
    });
  }
  // A journal file must be there already (opening would create an empty one); a PostgreSQL
  // journal is a database the agent shares with the rest of its fleet.
  if (!isJournalUrl(t.journalPath) && !existsSync(t.journalPath))
    throw new AppError('ERR_JOURNAL', `no agent runs and there is no journal at ${t.journalPath}`, {
      hint: 'start the agent with `s3ferry run`',
    });
  return {
    kind: 'journal',
    // A person waits for the answer: a few seconds of retries, not the agent's minute.
    journal: await openJournal(t.journalPath, { retryMs: CLI_JOURNAL_RETRY_MS }),
    path: describeJournal(t.journalPath),
  };
}
