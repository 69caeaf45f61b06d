/**
 * `s3ferry run`: the agent. Loads and validates the configuration, starts the agent and its API,
 * reloads on SIGHUP (a bad file keeps the running configuration and says why), stops on
 * SIGTERM/SIGINT letting in-flight work settle (interrupted uploads resume at the next start).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import v8 from 'node:v8';
import type { FastifyInstance } from 'fastify';
import { startAgent, type RunningAgent } from '../agent/compose.js';
import { buildApp, LoginCodes } from '../api/build-app.js';
import type { AgentConfig } from '../config/agent-config.js';
import { loadConfig, type ConfigFlags } from '../config/load.js';
import { assertSourcePaths } from '../config/source-paths.js';
import { readEnvironment, templateEnvironment } from '../config/environment.js';
import { AppError, toAppError } from '../errors/app-error.js';
import { agentToken, type AgentToken } from './api-token.js';
import { reportError } from './output.js';

interface RunOptions {
  config?: string;
  journal?: string;
  apiHost?: string;
  apiPort?: string;
  logLevel?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'run the agent: watch the configured directories and carry every finished file to S3',
    )
    .option('--config <file>', 'configuration file (default ./s3ferry.yaml, env S3FERRY_CONFIG)')
    .option(
      '--journal <file|url>',
      'journal file, or postgres:// URL of a shared journal (overrides the configuration)',
    )
    .option('--api-host <host>', 'API address (default 127.0.0.1; any other needs api.token)')
    .option('--api-port <port>', 'API port (default 7317)')
    .option('--log-level <level>', 'debug | info | warn | error')
    .action(async (opts: RunOptions) => {
      process.exitCode = await runAgent(opts);
    });
}

/**
 * The agent is a long-lived process that allocates a lot of short-lived garbage per file
 * (discovery, journal rows, events). V8 lets the heap grow by up to 2x between full collections
 * on a machine with much memory; 1.1x keeps the agent's footprint close to what it really holds.
 * Measured on 250,000 queued files (bench journal figure, scaled): peak RSS 204-226 MiB with it,
 * 321-446 MiB without, at the same speed within the noise. Set before the agent allocates.
 */
const AGENT_HEAP_GROWING_PERCENT = 10;

/** Where a browser or CLI of this machine reaches the API: loopback when it binds every interface. */
function localUrl(host: string, address: ReturnType<Server['address']>): string {
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const name = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

/**
 * Prints the dashboard's one-time link on stderr, for the person who started the agent (not in
 * the JSON log: the code is good once, for 15 minutes, but it is a way in until then).
 */
function printDashboardLink(base: string, auth: AgentToken, logins: LoginCodes): void {
  if (auth.token === undefined) {
    process.stderr.write(`s3ferry: dashboard: ${base}/ (api.auth: none: no token needed)\n`);
    return;
  }
  const made = auth.created === true ? ` (API token made in ${auth.file ?? ''})` : '';
  process.stderr.write(
    `s3ferry: dashboard: ${base}${logins.issue().path}\n` +
      `  a one-time link, good for 15 minutes; \`s3ferry dashboard\` prints a new one${made}\n`,
  );
}

/** The agent's API on its services, with the access rules of its configuration. */
function agentApi(
  running: RunningAgent,
  auth: AgentToken,
  reload: () => Promise<void>,
): { api: FastifyInstance; logins: LoginCodes } {
  const { agent, events } = running;
  const { api: apiConfig } = agent.config;
  const logins = new LoginCodes({ clock: running.clock });
  const api = buildApp({
    agent,
    journal: running.journal,
    events,
    transfers: running.transfers,
    metrics: running.metrics,
    clock: running.clock,
    webhook: () => events.webhookStats(),
    reload,
    host: apiConfig.host,
    allowedHosts: apiConfig.allowedHosts,
    metricsAuth: apiConfig.metricsAuth === 'token',
    logins,
    ...(auth.token === undefined ? {} : { token: auth.token }),
  });
  return { api, logins };
}

/** Why the API could not listen, with the fix. */
function listenError(err: unknown, api: AgentConfig['api']): AppError {
  const { host, port } = api;
  const code = (err as { code?: unknown }).code;
  if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES')
    return toAppError(err);
  return new AppError(
    'ERR_CONFIG_INVALID',
    code === 'EADDRINUSE'
      ? `the API port ${host}:${port} is already in use (another agent or program listens there)`
      : `the API cannot listen on ${host}:${port} (${code})`,
    {
      hint: 'choose another api.port (or api.host) in the configuration, or stop what uses it',
      details: { field: 'api.port' },
      cause: err,
    },
  );
}

export async function runAgent(opts: RunOptions): Promise<number> {
  v8.setFlagsFromString(`--heap-growing-percent=${AGENT_HEAP_GROWING_PERCENT}`);
  const file = opts.config ?? (existsSync('s3ferry.yaml') ? 's3ferry.yaml' : undefined);
  const flags: ConfigFlags = {
    journal: opts.journal,
    apiHost: opts.apiHost,
    apiPort: opts.apiPort,
    logLevel: opts.logLevel,
  };
  // A source that is a file refuses the start (or the reload); a missing one is a warning.
  const load = async (): Promise<{ config: AgentConfig; warnings: readonly string[] }> => {
    const config = await loadConfig({ file, flags });
    return { config, warnings: await assertSourcePaths(config, file ?? 'the configuration') };
  };
  let running;
  let first;
  let auth: AgentToken;
  try {
    first = await load();
    // before the agent starts: an unsafe token file stops it with nothing begun
    auth = agentToken(first.config.api, readEnvironment().stateDir);
    running = await startAgent(first.config, { env: templateEnvironment() });
  } catch (err) {
    return reportError(err, false);
  }
  const { agent, events } = running;
  const warn = async (warnings: readonly string[]): Promise<void> => {
    for (const w of warnings) await events.emit('config.warning', 'warn', w);
  };
  await warn(first.warnings);
  const reload = async (): Promise<void> => {
    try {
      const next = await load();
      await agent.reload(next.config);
      await warn(next.warnings);
    } catch (raw) {
      const err = toAppError(raw);
      await events.emit(
        'config.reload-failed',
        'error',
        `the configuration was not reloaded; the running one stays: ${err.message}`,
        { data: { code: err.code } },
      );
      throw err;
    }
  };
  const { api, logins } = agentApi(running, auth, reload);
  try {
    await api.listen({ host: agent.config.api.host, port: agent.config.api.port });
  } catch (err) {
    await running.close();
    return reportError(listenError(err, agent.config.api), false);
  }
  // Listening for a stop before saying the agent is up: whoever waits for that line may stop it
  // at once, and a signal with no listener yet would kill it without closing anything.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const base = localUrl(agent.config.api.host, api.server.address());
  await running.announceApi(base);
  running.logger.info(
    { api: base, auth: auth.token === undefined ? 'none' : 'token', tokenFile: auth.file },
    'API listening',
  );
  printDashboardLink(base, auth, logins);
  const onHup = (): void => {
    void reload().catch(() => undefined);
  };
  process.on('SIGHUP', onHup);
  await stopped;
  process.removeListener('SIGHUP', onHup);
  await api.close();
  await running.close();
  return 0;
}
