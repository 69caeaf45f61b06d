/**
 * Loads the configuration: defaults < s3ferry.yaml < environment < flags. The layers are merged
 * into the YAML document before validation, so that one schema checks the result and every
 * problem, wherever it came from, is reported in one ERR_CONFIG_INVALID.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { AppError } from '../errors/app-error.js';
import type { AgentConfig } from './agent-config.js';
import { deepFreeze } from './deep-freeze.js';
import {
  CONFIG_ENVIRONMENT_VARIABLES,
  readConfigEnvironment,
  type ConfigEnvironment,
} from './environment.js';
import { collectIssues, configErrorMap, groupIssues, type ConfigIssue } from './issues.js';
import { configSchema } from './schema.js';

/** Overrides from the command line; they win over the environment and the file. */
export interface ConfigFlags {
  readonly journal?: string | undefined;
  readonly apiHost?: string | undefined;
  /** A number, or the flag's text (checked like the file's value). */
  readonly apiPort?: number | string | undefined;
  readonly logLevel?: string | undefined;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** The YAML file; when absent, `env.configFile` (S3FERRY_CONFIG); when both are, none. */
  readonly file?: string | undefined;
  /** Environment overrides; read from process.env when absent. */
  readonly env?: ConfigEnvironment | undefined;
  readonly flags?: ConfigFlags | undefined;
}

/** One override of the document, and who made it (named in errors about it). */
interface Override {
  readonly path: readonly [string] | readonly [string, string];
  readonly value: unknown;
  readonly origin: string;
}

/** What the user should do about an invalid configuration. */
function hintFor(sourceName: string): string {
  return `fix ${sourceName}, then run \`s3ferry config check\` to check it`;
}

function invalid(sourceName: string, header: string, lines: readonly string[]): AppError {
  const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
  return new AppError('ERR_CONFIG_INVALID', `${header} (${count}):\n${lines.join('\n')}`, {
    hint: hintFor(sourceName),
    details: { file: sourceName, problems: lines.length },
  });
}

/** Parses YAML text into a plain value; every syntax error as `NAME:LINE:COL: message`. */
function readYaml(text: string, sourceName: string): unknown {
  // merge: `<<: *defaults` shares settings between jobs, as in YAML 1.1.
  const doc = parseDocument(text, { prettyErrors: true, merge: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const where = at === undefined ? sourceName : `${sourceName}:${at.line}:${at.col}`;
      // prettyErrors appends " at line L, column C:" and a snippet; the prefix says where.
      return `${where}: ${e.message.split(/ at line \d+, column \d+/)[0] ?? e.message}`;
    });
    throw invalid(sourceName, `${sourceName} is not valid YAML`, lines);
  }
  try {
    return doc.toJS() ?? {};
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw invalid(sourceName, `${sourceName} is not valid YAML`, [`${sourceName}: ${message}`]);
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The overrides of the environment, then of the flags (later ones win). */
function overridesOf(env: ConfigEnvironment, flags: ConfigFlags): Override[] {
  const port = (text: string | number): unknown =>
    typeof text === 'string' && /^\s*\d+\s*$/.test(text) ? Number(text) : text;
  const v = CONFIG_ENVIRONMENT_VARIABLES;
  const out: Override[] = [];
  const add = (path: Override['path'], value: unknown, origin: string): void => {
    if (value !== undefined) out.push({ path, value, origin });
  };
  add(['journal'], env.journal, v.journal);
  add(['api', 'host'], env.apiHost, v.apiHost);
  add(['api', 'port'], env.apiPort === undefined ? undefined : port(env.apiPort), v.apiPort);
  add(['api', 'token'], env.apiToken, v.apiToken);
  add(['log', 'level'], env.logLevel, v.logLevel);
  add(['journal'], flags.journal, 'the command line');
  add(['api', 'host'], flags.apiHost, 'the command line');
  add(
    ['api', 'port'],
    flags.apiPort === undefined ? undefined : port(flags.apiPort),
    'the command line',
  );
  add(['log', 'level'], flags.logLevel, 'the command line');
  return out;
}

/** A copy of `doc` with the overrides applied; parts that are not mappings are left to the schema. */
function applyOverrides(doc: unknown, overrides: readonly Override[]): unknown {
  if (!isMapping(doc)) return doc;
  const out: Record<string, unknown> = { ...doc };
  for (const { path, value } of overrides) {
    const [first, second] = path;
    if (second === undefined) out[first] = value;
    else {
      const section = out[first] ?? {};
      if (isMapping(section)) out[first] = { ...section, [second]: value };
    }
  }
  return out;
}

/** Names the override behind an issue, if one is: `api.port: ... (from S3FERRY_API_PORT)`. */
function withOrigin(issue: ConfigIssue, overrides: readonly Override[]): string {
  const last = [...overrides].reverse().find((o) => o.path.join('.') === issue.path);
  return `${issue.path}: ${issue.message}${last === undefined ? '' : ` (from ${last.origin})`}`;
}

/** Validates a YAML-loaded document with the overrides applied; throws ERR_CONFIG_INVALID. */
function validate(doc: unknown, sourceName: string, overrides: readonly Override[]): AgentConfig {
  const result = configSchema.safeParse(applyOverrides(doc, overrides), { error: configErrorMap });
  if (result.success) return deepFreeze(result.data);
  const lines = groupIssues(collectIssues(result.error.issues)).map((issue) =>
    withOrigin(issue, overrides),
  );
  throw invalid(sourceName, `invalid configuration in ${sourceName}`, lines);
}

/**
 * Parses configuration text (YAML) with defaults only, no environment and no flags. Returns the
 * deep-frozen configuration; throws AppError ERR_CONFIG_INVALID listing every problem, one per
 * line: `NAME:LINE:COL: message` for YAML syntax, `PATH: message` for the rest.
 */
export function parseConfig(text: string, sourceName: string): AgentConfig {
  return validate(readYaml(text, sourceName), sourceName, []);
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new AppError('ERR_CONFIG_INVALID', `configuration file ${file} not found`, {
        cause: err,
        hint: `copy s3ferry.example.yaml to ${file} and edit it, or name another file`,
        details: { file },
      });
    throw new AppError(
      'ERR_CONFIG_INVALID',
      `cannot read configuration file ${file}: ${code ?? String(err)}`,
      {
        cause: err,
        hint: 'check that it is a readable file',
        details: { file },
      },
    );
  }
}

/**
 * Loads the configuration with precedence defaults < file < environment < flags and validates
 * the result as a whole. Returns it deep-frozen. Throws AppError ERR_CONFIG_INVALID for a missing
 * or unreadable file (naming it), YAML syntax errors (`FILE:LINE:COL: message`), and any
 * violation of the schema (`PATH: message`, every one, each on its own line; a value that came
 * from the environment or a flag says so).
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<AgentConfig> {
  const env = options.env ?? readConfigEnvironment();
  const file = options.file ?? env.configFile;
  const doc = file === undefined ? {} : readYaml(await readConfigFile(file), file);
  return validate(
    doc,
    file ?? 'the environment and command line',
    overridesOf(env, options.flags ?? {}),
  );
}
