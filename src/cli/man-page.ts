/**
 * The man page s3ferry(1), in roff, generated from the command specs (every command, argument and
 * option with its help text), the exit code table and the configuration's environment variables.
 * docs/s3ferry.1 is this output (a test keeps it so); `s3ferry man` prints it.
 */
import { CONFIG_ENVIRONMENT_VARIABLES } from '../config/environment.js';
import { EXIT } from '../errors/codes.js';
import { allCommands, type CommandSpec, type OptionSpec } from './command-spec.js';

/** What each exit code means (docs/errors.md says which error gives which). */
const EXIT_MEANING: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: 'Success.',
  fileFailed: 'Some files could not be uploaded (per-file errors).',
  usage: 'Bad command line or configuration.',
  destination:
    'The destination refused s3ferry or cannot be reached: credentials, bucket, region, endpoint.',
  retriesExhausted: 'Transient errors did not clear within the retry budget.',
  journal: 'The journal cannot be opened or written.',
  internal: 'Something unexpected: a bug.',
  interrupted: 'Interrupted (SIGINT or SIGTERM); running the same command again resumes.',
};

const ENV_MEANING: Readonly<Record<keyof typeof CONFIG_ENVIRONMENT_VARIABLES, string>> = {
  configFile: 'The configuration file, when none is given on the command line.',
  journal: 'Overrides journal: the SQLite file or postgres:// URL of the journal.',
  apiHost: 'Overrides api.host.',
  apiPort: 'Overrides api.port.',
  apiToken: 'Overrides api.token (keeps the secret out of the file).',
  logLevel: 'Overrides log.level.',
};

/** Text for roff: backslashes escaped, hyphens as minus signs, no line starting a request. */
function esc(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

function optionItem(o: OptionSpec): string {
  const names = [o.short, o.long]
    .filter((n) => n !== undefined)
    .map((n) => `\\fB${esc(n)}\\fR`)
    .join(', ');
  const value =
    o.value === undefined
      ? ''
      : ` ${o.value.optional ? '[' : ''}\\fI${esc(o.value.name)}${o.variadic ? '...' : ''}\\fR${o.value.optional ? ']' : ''}`;
  return `.TP\n${names}${value}\n${esc(o.description)}\n`;
}

function commandSection(cmd: CommandSpec): string {
  const args = cmd.arguments
    .filter((a) => a.description !== '' || a.value.kind === 'choices')
    .map((a) => {
      const choices = a.value.kind === 'choices' ? ` (${a.value.choices.join(', ')})` : '';
      return `.TP\n\\fI${esc(a.name)}\\fR\n${esc(a.description)}${esc(choices)}\n`;
    });
  return [
    `.SS "${esc(['s3ferry', ...cmd.path].join(' '))} ${esc(cmd.usage)}"\n`,
    `${esc(/[.!?)]$/.test(cmd.description) ? cmd.description : `${cmd.description}.`)}\n`,
    ...args,
    ...cmd.options.map(optionItem),
  ].join('');
}

function table(rows: readonly [string, string][]): string {
  return rows.map(([term, text]) => `.TP\n.B ${esc(term)}\n${esc(text)}\n`).join('');
}

/** The whole man page. */
export function manPage(root: CommandSpec): string {
  const commands = allCommands(root).filter((c) => c.path.length > 0);
  return `.\\" s3ferry(1), generated from the command definitions by \`s3ferry man\`: do not edit.
.TH S3FERRY 1 "" "s3ferry" "User Commands"
.SH NAME
s3ferry \\- ${esc(root.description)}
.SH SYNOPSIS
${root.commands.map((c) => `.B s3ferry ${esc(c.name)}\n${esc(c.usage)}\n.br\n`).join('')}.SH DESCRIPTION
s3ferry is an agent that watches directories and uploads each file once it is finished, journals
every upload so that it resumes after a crash, verifies every object and only then keeps, deletes
or moves the source; and a command line around it.
.B s3ferry run
runs the agent with the configuration file
.IR s3ferry.yaml ;
.B s3ferry upload
is a one\\-shot transfer with a progress bar. The other commands talk to a running agent through
its HTTP API, or open the journal directly when none runs. Every command takes
.B \\-\\-help\\fR;
most take
.B \\-\\-json
for one JSON object per line.
.SH OPTIONS
${root.options.map(optionItem).join('')}.SH COMMANDS
${commands.map(commandSection).join('')}.SH EXIT STATUS
${table(Object.entries(EXIT).map(([key, code]) => [String(code), EXIT_MEANING[key as keyof typeof EXIT]]))}.SH ENVIRONMENT
${table(Object.entries(CONFIG_ENVIRONMENT_VARIABLES).map(([key, name]) => [name, ENV_MEANING[key as keyof typeof ENV_MEANING]]))}.TP
.B AWS_*
The standard AWS credential chain and settings (AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, ...).
.SH FILES
.TP
.I s3ferry.yaml
The configuration: every option in docs/configuration.md and s3ferry.example.yaml.
.TP
.I .s3ferry/journal.db
The default journal (queue, upload state, history), relative to the directory the agent runs in.
.SH SEE ALSO
The package's README.md, docs/configuration.md, docs/errors.md (every error code with its exit
code), docs/monitoring.md (metrics, alerts, dashboard) and deploy/ (systemd unit, Prometheus
rules, Grafana dashboard).
`;
}
