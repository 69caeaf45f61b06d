/**
 * Generates docs/configuration.md from the schema's own descriptions and defaults, so that the
 * documentation cannot drift from what the loader accepts (test/unit/config-docs.test.ts compares
 * them). The tables are aligned the way Prettier aligns them, so `prettier --check` passes too.
 */
import type { z } from 'zod';
import { CONFIG_ENVIRONMENT_VARIABLES } from './environment.js';
import { documentSchema } from './schema.js';

type Schema = z.core.$ZodType;

/** One documented option. */
interface Row {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

/** What a schema looks like under its wrappers (default, optional, pipe). */
interface Unwrapped {
  readonly base: Schema;
  readonly description: string | undefined;
  readonly title: string | undefined;
  readonly defaultValue: { readonly value: unknown } | undefined;
  readonly optional: boolean;
}

interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly defaultValue?: unknown;
  readonly in?: Schema;
  readonly out?: Schema;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly element?: Schema;
  readonly valueType?: Schema;
  readonly options?: readonly Schema[];
  readonly entries?: Readonly<Record<string, string>>;
}

const defOf = (s: Schema): Def => s._zod.def;
const metaOf = (s: Schema): { description?: string; title?: string; id?: string } =>
  (
    s as unknown as { meta(): { description?: string; title?: string; id?: string } | undefined }
  ).meta() ?? {};

function unwrap(schema: Schema): Unwrapped {
  let s = schema;
  let description: string | undefined;
  let title: string | undefined;
  let defaultValue: { value: unknown } | undefined;
  let optional = false;
  for (;;) {
    const meta = metaOf(s);
    description ??= meta.description;
    title ??= meta.title;
    const def = defOf(s);
    if ((def.type === 'default' || def.type === 'prefault') && def.innerType !== undefined) {
      defaultValue ??= { value: def.defaultValue };
      s = def.innerType;
    } else if (def.type === 'optional' && def.innerType !== undefined) {
      optional = true;
      s = def.innerType;
    } else if (def.type === 'pipe' && def.in !== undefined && def.out !== undefined) {
      s = defOf(def.in).type === 'transform' ? def.out : def.in;
    } else return { base: s, description, title, defaultValue, optional };
  }
}

/** The type column: "string", "duration", "list of string", "`a` \| `b`", "destination". */
function typeName(schema: Schema): string {
  const u = unwrap(schema);
  const def = defOf(u.base);
  const id = metaOf(u.base).id;
  if (id !== undefined) return id;
  if (u.title !== undefined) return u.title;
  switch (def.type) {
    case 'enum':
      return Object.values(def.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'array':
      return def.element === undefined ? 'list' : `list of ${typeName(def.element)}`;
    case 'record':
      return def.valueType === undefined ? 'mapping' : `mapping to ${typeName(def.valueType)}`;
    case 'object':
      return 'mapping';
    case 'union':
      return [...new Set((def.options ?? []).map(typeName))].join(' or ');
    case 'number':
      return (u.base as unknown as { isInt?: boolean }).isInt === true ? 'integer' : 'number';
    default:
      return def.type;
  }
}

function showDefault(u: Unwrapped): string {
  if (u.defaultValue === undefined) return u.optional ? '' : 'required';
  const { value } = u.defaultValue;
  if (typeof value === 'string' && /^[\w./:-]+$/.test(value)) return `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

/** The object schema to document below a field (its mapping, its list's items), if any. */
function childObject(schema: Schema): { schema: Schema; suffix: string } | undefined {
  const base = unwrap(schema).base;
  const def = defOf(base);
  if (metaOf(base).id !== undefined) return undefined;
  if (def.type === 'object') return { schema: base, suffix: '' };
  if (def.type === 'array' && def.element !== undefined) {
    const inner = childObject(def.element);
    return inner && { schema: inner.schema, suffix: `[]${inner.suffix}` };
  }
  if (def.type === 'union')
    for (const option of def.options ?? []) {
      const inner = childObject(option);
      if (inner !== undefined) return inner;
    }
  return undefined;
}

/** Rows of every field of an object schema, depth first. */
function rowsOf(objectSchema: Schema, prefix: string): Row[] {
  const rows: Row[] = [];
  for (const [key, field] of Object.entries(defOf(objectSchema).shape ?? {})) {
    const u = unwrap(field);
    const path = `${prefix}${key}`;
    // Every option is documented: a field without .describe() is a bug caught by the docs test.
    if (u.description === undefined) throw new Error(`config option ${path} has no description`);
    rows.push({
      path,
      type: typeName(field),
      default: showDefault(u),
      description: u.description,
    });
    const child = childObject(field);
    if (child !== undefined) rows.push(...rowsOf(child.schema, `${path}${child.suffix}.`));
  }
  return rows;
}

/** A Markdown table padded as Prettier pads it. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(3, ...all.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function optionTable(rows: readonly Row[]): string {
  const cell = (text: string): string =>
    text.replace(/\|/g, (m, offset: number, s: string) => (s[offset - 1] === '\\' ? m : '\\|'));
  return table(
    ['Option', 'Type', 'Default', 'Meaning'],
    rows.map((r) => [`\`${r.path}\``, cell(r.type), cell(r.default), cell(r.description)]),
  );
}

const INTRO = `# Configuration

<!-- Generated from src/config/schema.ts by describeConfig() (src/config/describe.ts): do not edit.
Regenerate: npx tsc -b && node -e "import('./dist/src/config/describe.js').then((m) => process.stdout.write(m.describeConfig()))" > docs/configuration.md -->

s3ferry reads one YAML file, \`s3ferry.yaml\` (\`s3ferry.example.yaml\` documents every option with
comments). Settings are applied in this order, later ones winning: defaults, the file, the
environment, the command line. \`s3ferry config check\` validates a file and lists every problem
at once, each with its path, e.g. \`jobs[1].filters.include[0].regex: invalid regular expression:
Unterminated group\`. Unknown options are errors. YAML anchors, aliases and merge keys
(\`<<: *anchor\`) work, e.g. to share settings between jobs.

- A **duration** is \`500ms\`, \`30s\`, \`15m\`, \`1h30m\`, \`2d\`, \`1w\`, or a number of seconds.
- A **size** is a number of bytes or \`100k\`, \`8MiB\` or \`8M\` (binary), \`8MB\` (decimal),
  \`1.5G\`, \`1TiB\`.
- "required" means the option has no default; an empty default means "not set".
`;

const DESTINATIONS_INTRO = `An entry of \`destinations:\` (\`destinations.NAME\`), or a job's inline
\`destination:\` mapping. A job can also give \`s3://bucket/prefix\` (the defaults below apply).`;

const KEY_TEMPLATES = `## Key templates

A job's \`key\` is rendered for each file and appended to the destination's \`prefix\`:

- \`{path}\` the path relative to the source directory, \`{dir}\` its directory ('' at the top),
  \`{name}\` the file name, \`{stem}\` the name without extension, \`{ext}\` the extension (no dot).
- \`{mtime:FORMAT}\`, \`{ctime:FORMAT}\`, \`{now:FORMAT}\`: times in UTC; FORMAT uses \`yyyy\` \`yy\`
  \`MM\` \`dd\` \`HH\` \`mm\` \`ss\` \`SSS\`, literal letters in single quotes (\`yyyyMMdd'T'HHmmss\`).
- \`{hostname}\`, \`{job}\`, \`{size}\` (bytes), \`{uuid}\`, \`{sha256}\`, \`{md5}\` (hex of the
  content), \`{env:NAME}\` ('' when unset).
- \`{{\` and \`}}\` are literal braces. A segment that renders empty is dropped with its '/'.

A template that can yield an invalid key (empty, over 1,024 bytes, a leading '/', a '.' or '..'
segment) is refused when the configuration is loaded.

The key is rendered once per version of a file and kept in the journal with the rest of its plan
(mode, part size): retries, restarts and another agent of a fleet send it to that same key, even
when the template has \`{now}\` or \`{uuid}\`, and even when the template changed since. When the
plan needs no digest of the content (no \`{sha256}\`, \`{md5}\`, no dedupe) and no look at the
store (overwrite \`never\` or \`always\`), it is decided as the file is queued: \`{now}\` is then
the time the file was queued (after its settle window), not the time of its upload. Otherwise
it is decided when an agent first takes the file up.
`;

function environmentSection(): string {
  const meaning: Readonly<Record<keyof typeof CONFIG_ENVIRONMENT_VARIABLES, string>> = {
    configFile: 'The configuration file, when none is given on the command line.',
    journal: 'Overrides `journal`.',
    apiHost: 'Overrides `api.host`.',
    apiPort: 'Overrides `api.port`.',
    apiToken: 'Overrides `api.token` (keeps the secret out of the file).',
    logLevel: 'Overrides `log.level`.',
  };
  const rows = Object.entries(CONFIG_ENVIRONMENT_VARIABLES).map(([key, variable]) => [
    `\`${variable}\``,
    meaning[key as keyof typeof meaning],
  ]);
  // read for each destination's connection (config/connection-env.ts), as the AWS CLI reads them
  rows.push(
    [
      '`AWS_CA_BUNDLE`',
      'The CA bundle of a destination without `caBundle`; else `ca_bundle` of its profile (in `AWS_CONFIG_FILE`, default ~/.aws/config).',
    ],
    [
      '`S3FERRY_RESOLVE`',
      "`HOST=ADDRESS,…`: HOST and the names below it are reached at ADDRESS, in s3ferry's process only (like curl's --resolve; tests, benchmarks).",
    ],
  );
  return `## Environment\n\n${table(['Variable', 'Meaning'], rows)}\n`;
}

/** The rows of the three tables: top level, a job, a destination. */
function sections(): { top: Row[]; job: Row[]; destination: Row[] } {
  const shape = defOf(documentSchema).shape ?? {};
  const job = shape.jobs && defOf(unwrap(shape.jobs).base).element;
  const destination = shape.destinations && defOf(unwrap(shape.destinations).base).valueType;
  if (job === undefined || destination === undefined) throw new Error('schema shape changed');
  return {
    top: rowsOf(documentSchema, ''),
    job: rowsOf(job, ''),
    destination: rowsOf(destination, ''),
  };
}

/**
 * Every option's path as the user writes it, e.g. `api.host`, `jobs[].filters.include[].glob`,
 * `destinations.NAME.bucket`.
 */
export function listConfigOptions(): string[] {
  const { top, job, destination } = sections();
  return [
    ...top.map((r) => r.path),
    ...job.map((r) => `jobs[].${r.path}`),
    ...destination.map((r) => `destinations.NAME.${r.path}`),
  ];
}

/** docs/configuration.md: every option with its type, default and meaning, as Markdown. */
export function describeConfig(): string {
  const { top, job, destination } = sections();
  return [
    INTRO,
    `## Top level\n\n${optionTable(top)}\n`,
    `## Jobs\n\nEach entry of \`jobs:\`.\n\n${optionTable(job)}\n`,
    `## Destinations\n\n${DESTINATIONS_INTRO}\n\n${optionTable(destination)}\n`,
    KEY_TEMPLATES,
    environmentSection(),
  ].join('\n');
}
