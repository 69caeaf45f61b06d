#!/usr/bin/env node
/** The `s3ferry` command line. One file per command; this one only wires them. */
import { Command } from 'commander';
import { EXIT } from '../errors/codes.js';
import { packageVersion } from '../platform/package-version.js';

// The AWS SDK warns on every start under Node 20 that its releases from 2027 need Node 22. The
// lock file pins a release that supports Node 20 (README says so); keep the CLI's output clean.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.name;
  const type =
    typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === 'NodeVersionSupportWarning' || text.includes('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...(rest as []));
};

const program = new Command('s3ferry')
  .description(
    'carries finished files into Amazon S3 or any S3-compatible store, and never loses one',
  )
  .version(packageVersion())
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own usage errors (unknown option, missing argument) get the documented code
    process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
  });
type Register = (program: Command) => void;

/** Every command module, in the order `--help` lists them. */
const COMMANDS: readonly (() => Promise<Register>)[] = [
  async () => (await import('./run-command.js')).registerRun,
  async () => (await import('./upload-command.js')).registerUpload,
  async () => (await import('./doctor-command.js')).registerDoctor,
  async () => (await import('./cleanup-command.js')).registerCleanup,
  async () => (await import('./inspect-commands.js')).registerInspect,
  async () => (await import('./list-commands.js')).registerLists,
  async () => (await import('./report-command.js')).registerReport,
  async () => (await import('./control-commands.js')).registerControl,
  async () => (await import('./agent-commands.js')).registerAgentCommands,
  async () => (await import('./bwlimit-command.js')).registerBwlimit,
  async () => (await import('./dashboard-command.js')).registerDashboard,
  async () => (await import('./config-command.js')).registerConfig,
  async () => (await import('./completion-command.js')).registerCompletion,
  async () => (await import('./man-command.js')).registerMan,
];

// `s3ferry upload` loads only its own command: the agent, the API server and their dependencies
// cost a one-shot transfer about 25 MiB of memory and a quarter of a second to start.
const ONLY: Readonly<Record<string, () => Promise<Register>>> = {
  upload: async () => (await import('./upload-command.js')).registerUpload,
};

const only = ONLY[process.argv[2] ?? ''];
for (const load of only === undefined ? COMMANDS : [only]) (await load())(program);

await program.parseAsync(process.argv);
