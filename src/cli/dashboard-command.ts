/**
 * `s3ferry dashboard`: prints a new one-time link that opens the running agent's dashboard in a
 * browser (the one `run` printed is good once, for 15 minutes). Asks the agent through its API,
 * with the token the CLI finds by itself (cli/api-token.ts).
 */
import type { Command } from 'commander';
import { addClientOptions, openAgent, type ClientOptions } from './agent-client.js';
import { reportError } from './output.js';

export function registerDashboard(program: Command): void {
  addClientOptions(
    program
      .command('dashboard')
      .description("print a one-time link that opens the running agent's dashboard"),
  ).action(async (opts: ClientOptions) => {
    try {
      const agent = await openAgent(opts);
      const link = await agent.dashboardLink();
      const url = `${agent.source.url}${link.path}`;
      process.stdout.write(
        opts.json === true
          ? `${JSON.stringify({ url, expiresAt: link.expiresAt })}\n`
          : `${url}\n${link.expiresAt === null ? '' : '(a one-time link, good for 15 minutes)\n'}`,
      );
      process.exitCode = 0;
    } catch (err) {
      process.exitCode = reportError(err, opts.json === true);
    }
  });
}
