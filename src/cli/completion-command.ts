/** `s3ferry completion bash|zsh|fish`: prints the shell completion script, made from the commands. */
import { Argument, type Command } from 'commander';
import { bashCompletion } from './completion-bash.js';
import { fishCompletion, zshCompletion } from './completion-zsh-fish.js';
import { describeCommands, type CommandSpec } from './command-spec.js';

const SHELLS: Readonly<Record<string, (root: CommandSpec) => string>> = {
  bash: bashCompletion,
  zsh: zshCompletion,
  fish: fishCompletion,
};

/** The program a command belongs to: its topmost parent. */
export function programOf(cmd: Command): Command {
  let top = cmd;
  while (top.parent !== null) top = top.parent;
  return top;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)))
    .addHelpText(
      'after',
      `
Install:
  bash  s3ferry completion bash > /etc/bash_completion.d/s3ferry   (or: source <(s3ferry completion bash))
  zsh   s3ferry completion zsh > "\${fpath[1]}/_s3ferry"
  fish  s3ferry completion fish > ~/.config/fish/completions/s3ferry.fish`,
    )
    .action((shell: string, _opts: unknown, cmd: Command) => {
      const generate = SHELLS[shell];
      // commander checked the choice; the lookup cannot miss
      if (generate !== undefined) process.stdout.write(generate(describeCommands(programOf(cmd))));
    });
}
