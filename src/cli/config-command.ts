/** `s3ferry config check [FILE]`: validates the configuration and reports every problem at once. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { redactConfig } from '../config/redact.js';
import { assertSourcePaths } from '../config/source-paths.js';
import { reportError } from './output.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('configuration tools');
  config
    .command('check')
    .description(
      'validate s3ferry.yaml (every error with its path); --json prints the result with secrets hidden',
    )
    .argument('[file]', 'the file (default ./s3ferry.yaml, env S3FERRY_CONFIG)')
    .option('--json', 'print the validated configuration as JSON, secrets redacted')
    .action(async (file: string | undefined, opts: { json?: boolean }) => {
      try {
        const name = file ?? (existsSync('s3ferry.yaml') ? 's3ferry.yaml' : undefined);
        const cfg = await loadConfig({ file: name });
        // sources that are not directories: an error; missing ones: a warning (on stderr)
        const warnings = await assertSourcePaths(cfg, name ?? 'the configuration');
        for (const w of warnings) process.stderr.write(`s3ferry: warning: ${w}\n`);
        if (opts.json === true) process.stdout.write(`${JSON.stringify(redactConfig(cfg))}\n`);
        else
          process.stdout.write(
            `configuration is valid: ${cfg.jobs.length} job(s): ${cfg.jobs.map((j) => j.name).join(', ')}\n`,
          );
        process.exitCode = 0;
      } catch (err) {
        process.exitCode = reportError(err, opts.json === true);
      }
    });
}
