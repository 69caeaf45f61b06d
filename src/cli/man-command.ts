/** `s3ferry man`: prints the man page s3ferry(1) (roff), made from the commands. */
import type { Command } from 'commander';
import { programOf } from './completion-command.js';
import { describeCommands } from './command-spec.js';
import { manPage } from './man-page.js';

export function registerMan(program: Command): void {
  program
    .command('man')
    .description('print the man page (roff): s3ferry man | man -l -')
    .action((_opts: unknown, cmd: Command) => {
      process.stdout.write(manPage(describeCommands(programOf(cmd))));
    });
}
