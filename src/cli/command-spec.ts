/**
 * The command line as data, read from the commander definitions themselves (commands, arguments,
 * options, their values and choices), so that shell completion and the man page can never list
 * a command or an option the CLI does not have, nor miss one it has.
 */
import type { Argument, Command, Option } from 'commander';

/** What the value of an option or argument completes to. */
export type ValueKind =
  | { readonly kind: 'choices'; readonly choices: readonly string[] }
  | { readonly kind: 'file' }
  | { readonly kind: 'text' };

/** One option, e.g. `--journal <file|url>`. */
export interface OptionSpec {
  /** As written in help, e.g. `-j, --json` or `--to <s3url>`. */
  readonly flags: string;
  readonly short?: string;
  readonly long?: string;
  readonly description: string;
  /** The value it takes (name and what completes it); undefined for a switch. */
  readonly value?: { readonly name: string; readonly optional: boolean } & ValueKind;
  /** Takes several values (`<x...>`). */
  readonly variadic: boolean;
}

/** One positional argument, e.g. `[paths...]`. */
export interface ArgumentSpec {
  readonly name: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly description: string;
  readonly value: ValueKind;
}

/** One command with its subcommands; the root is the program. */
export interface CommandSpec {
  readonly name: string;
  /** Command words below the program, e.g. ['config', 'check']; [] for the program. */
  readonly path: readonly string[];
  readonly description: string;
  /** One-line usage after the command words, e.g. `[options] [paths...]`. */
  readonly usage: string;
  readonly arguments: readonly ArgumentSpec[];
  readonly options: readonly OptionSpec[];
  readonly commands: readonly CommandSpec[];
}

/** A value whose name says it is a path completes to file names; choices to the choices. */
function valueKind(name: string, choices: readonly string[] | undefined): ValueKind {
  if (choices !== undefined && choices.length > 0) return { kind: 'choices', choices };
  return /file|path|dir/i.test(name) ? { kind: 'file' } : { kind: 'text' };
}

function optionSpec(o: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]+?)(\.\.\.)?[>\]]/.exec(o.flags);
  const name = placeholder?.[1];
  return {
    flags: o.flags,
    ...(o.short === undefined ? {} : { short: o.short }),
    ...(o.long === undefined ? {} : { long: o.long }),
    description: o.description,
    ...(name === undefined
      ? {}
      : { value: { name, optional: o.optional, ...valueKind(name, o.argChoices) } }),
    variadic: o.variadic,
  };
}

function argumentSpec(a: Argument): ArgumentSpec {
  return {
    name: a.name(),
    required: a.required,
    variadic: a.variadic,
    description: a.description,
    value: valueKind(a.name(), a.argChoices),
  };
}

/** The spec of `cmd` and everything below it; `path` is the command words leading to it. */
export function describeCommands(cmd: Command, path: readonly string[] = []): CommandSpec {
  const help = cmd.createHelp();
  return {
    name: cmd.name(),
    path,
    description: cmd.description(),
    usage: cmd.usage(),
    arguments: cmd.registeredArguments.map(argumentSpec),
    options: help.visibleOptions(cmd).map(optionSpec),
    commands: help.visibleCommands(cmd).map((sub) => describeCommands(sub, [...path, sub.name()])),
  };
}

/** Every command of the tree, the root first, depth first. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.commands.flatMap(allCommands)];
}
