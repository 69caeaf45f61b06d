/**
 * How the CLI picks its control service (control/control-service.ts): the running agent through
 * its API when one answers, else the journal itself. Where it looks for the agent, in order:
 * 1. `--api-url`, when given (only there);
 * 2. the agent that holds the journal, as the journal says (control/journal-holder.ts): the lock
 *    of a SQLite journal, the agents table of a PostgreSQL one, so any port is found;
 * 3. the configuration's API address (api.host and api.port; default http://127.0.0.1:7317),
 *    except when `--journal` alone names a SQLite journal whose lock says nobody holds it (an
 *    agent answering there would be another journal's).
 * The token is the one the CLI finds by itself (cli/api-token.ts) for the address it calls.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { targetFor } from '../agent/compose.js';
import type { AgentConfig } from '../config/agent-config.js';
import { readConfigEnvironment, readEnvironment } from '../config/environment.js';
import { loadConfig } from '../config/load.js';
import type { ControlService } from '../control/control-service.js';
import { HttpControl } from '../control/http-control.js';
import { JournalControl } from '../control/journal-control.js';
import { fleetHolder, lockHolder, type JournalHolder } from '../control/journal-holder.js';
import { AppError } from '../errors/app-error.js';
import { configSettings } from '../object-store/setting-names.js';
import { describeJournal, isJournalUrl, openJournal } from '../journal/open-journal.js';
import type { JournalStore } from '../journal/journal-store.js';
import { systemClock } from '../platform/clock.js';
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
      "the running agent's API (default: the one holding the journal, else the configuration's, http://127.0.0.1:7317)",
    )
    .option(
      '--token <token>',
      "API token (visible in ps: prefer env S3FERRY_API_TOKEN; by default the CLI reads the token file of the agent's user)",
    )
    .option('--journal <file|url>', 'journal (file or postgres:// URL) to use when no agent runs')
    .option('--json', 'JSON output');
}

/** How long a CLI command retries an unreachable PostgreSQL journal before it gives up, in ms. */
const CLI_JOURNAL_RETRY_MS = 5_000;
/** The lease of the configuration's default, for agents of a shared journal. */
const DEFAULT_LEASE_MS = 30_000;

const apiUrlOf = (api: AgentConfig['api']): string =>
  `http://${api.host.includes(':') ? `[${api.host}]` : api.host}:${api.port}`;

/** True when an s3ferry API answers /healthz at `url`. */
const answers = (url: string): Promise<boolean> =>
  fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );

/** What the CLI knows before it looks for the agent. */
interface Setting {
  /** The configuration (defaults < file < environment < --journal), when it is valid. */
  readonly config: AgentConfig | undefined;
  /** True when it was read from a file: then its jobs and destinations are the agent's. */
  readonly fromFile: boolean;
  readonly journal: string | undefined;
}

async function readSetting(opts: ClientOptions): Promise<Setting> {
  const file = opts.config ?? (existsSync('s3ferry.yaml') ? 's3ferry.yaml' : undefined);
  const config = await loadConfig({ file, flags: { journal: opts.journal } }).catch(
    () => undefined,
  );
  const fromFile = (file ?? readConfigEnvironment().configFile) !== undefined;
  return { config, fromFile, journal: opts.journal ?? config?.journal };
}

/** The service over the API at `url`, with the token the CLI finds for it. */
function overHttp(url: string, config: AgentConfig | undefined, flag?: string): HttpControl {
  const { token, from } = clientToken({
    flag,
    configEnv: readConfigEnvironment(),
    config,
    env: readEnvironment(),
    url,
  });
  return new HttpControl({ url, tokenFrom: from, ...(token === undefined ? {} : { token }) });
}

/** Looks for the agent (see the module comment); `tried` collects the addresses that did not answer. */
async function findAgent(
  opts: ClientOptions,
  s: Setting,
  holder: JournalHolder | undefined,
  tried: string[],
): Promise<string | undefined> {
  const candidates: string[] = [];
  if (opts.apiUrl !== undefined) candidates.push(opts.apiUrl);
  else {
    if (holder?.url !== undefined) candidates.push(holder.url);
    const journalAlone =
      opts.journal !== undefined && opts.config === undefined && !isJournalUrl(opts.journal);
    if (!journalAlone || holder !== undefined)
      candidates.push(s.config === undefined ? 'http://127.0.0.1:7317' : apiUrlOf(s.config.api));
  }
  for (const url of [...new Set(candidates)]) {
    if (await answers(url)) return url;
    tried.push(url);
  }
  return undefined;
}

/** Opens the journal for the CLI: a file must exist already (opening would create an empty one). */
async function openCliJournal(spec: string, noAgent: string): Promise<JournalStore> {
  if (!isJournalUrl(spec) && !existsSync(spec))
    throw new AppError('ERR_JOURNAL', `${noAgent}, and there is no journal at ${spec}`, {
      hint: 'start the agent with `s3ferry run`, or give --journal or --config',
    });
  // A person waits for the answer: a few seconds of retries, not the agent's minute.
  return openJournal(spec, { retryMs: CLI_JOURNAL_RETRY_MS });
}

/** "no s3ferry agent answers at …", from what was tried. */
function noAgentText(tried: readonly string[], journal: string | undefined): string {
  if (tried.length > 0) return `no s3ferry agent answers at ${tried.join(', ')}`;
  return `no s3ferry agent holds the journal ${journal === undefined ? '' : describeJournal(journal)}`;
}

/**
 * The control service for a CLI command: the running agent's (over HTTP), else the journal's.
 * `needsAgent` (backfill, reload, transfers, dashboard) refuses the journal with ERR_USAGE.
 */
export async function openControl(
  opts: ClientOptions,
  needsAgent = false,
): Promise<ControlService> {
  if (opts.token !== undefined) process.stderr.write(TOKEN_FLAG_WARNING);
  const s = await readSetting(opts);
  const here = hostname();
  const sqlite = s.journal !== undefined && !isJournalUrl(s.journal) ? s.journal : undefined;
  const tried: string[] = [];
  let holder = sqlite === undefined ? undefined : lockHolder(sqlite, here);
  const url = await findAgent(opts, s, holder, tried);
  if (url !== undefined) return overHttp(url, s.config, opts.token);
  let journal: JournalStore | undefined;
  if (s.journal !== undefined && sqlite === undefined && opts.apiUrl === undefined) {
    // A shared journal: an agent of this machine may have announced its API there.
    journal = await openCliJournal(s.journal, noAgentText(tried, s.journal));
    const leaseMs = s.config?.lease ?? DEFAULT_LEASE_MS;
    holder = fleetHolder(await journal.listAgents(), { hostname: here, now: Date.now(), leaseMs });
    if (holder?.url !== undefined && !tried.includes(holder.url)) {
      if (await answers(holder.url)) {
        await journal.close();
        return overHttp(holder.url, s.config, opts.token);
      }
      tried.push(holder.url);
    }
  }
  const noAgent = noAgentText(tried, s.journal);
  if (needsAgent || s.journal === undefined) {
    await journal?.close();
    throw new AppError('ERR_USAGE', noAgent, {
      hint: 'start it with `s3ferry run`, or point --api-url / --config at it',
    });
  }
  journal ??= await openCliJournal(s.journal, noAgent);
  const note =
    holder === undefined
      ? undefined
      : `${holder.who} holds this journal, but its API ${holder.url === undefined ? 'has not started yet' : `at ${holder.url} does not answer`}`;
  return new JournalControl({
    journal,
    journalName: describeJournal(s.journal),
    config: s.fromFile ? s.config : undefined,
    clock: systemClock,
    note,
    noAgent,
    buildTarget: (d, path) => targetFor(d, { settings: configSettings(path, d) }),
  });
}

/** The running agent's service over HTTP, for what only its API offers (`s3ferry dashboard`). */
export async function openAgent(opts: ClientOptions): Promise<HttpControl> {
  const control = await openControl(opts, true);
  if (!(control instanceof HttpControl)) throw new AppError('ERR_INTERNAL', 'no agent API to ask'); // openControl refused already
  return control;
}
