#!/usr/bin/env node
/** The `s3ferry` command line. One file per command; this one only wires them. */
import { Command } from 'commander';
import { EXIT } from '../errors/codes.js';
import { packageVersion } from '../platform/package-version.js';
import { registerCleanup } from './cleanup-command.js';
import { registerConfig } from './config-command.js';
import { registerControl } from './control-commands.js';
import { registerInspect } from './inspect-commands.js';
import { registerRun } from './run-command.js';
import { registerDoctor } from './doctor-command.js';
import { registerUpload } from './upload-command.js';

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
registerRun(program);
registerUpload(program);
registerDoctor(program);
registerCleanup(program);
registerInspect(program);
registerControl(program);
registerConfig(program);

await program.parseAsync(process.argv);
