/**
 * Turns zod's issues into the lines s3ferry prints: `PATH: message`, with the path as the user
 * writes it (`jobs[1].filters.include[0].regex`) and messages in the words of a YAML file
 * ("expected a list, got a string"), one line per problem.
 */
import type { z } from 'zod';

/** One problem of a configuration. */
export interface ConfigIssue {
  /** Where, as the user writes it: `jobs[1].destination.bucket`; `(top level)` for the root. */
  readonly path: string;
  readonly message: string;
}

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const KNOWN_PREFIX = 'known options: ';

/** `jobs[1].filters.include[0]`, `destinations["my dest"].bucket`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (!/^[A-Za-z_][\w-]*$/.test(key)) out += `[${JSON.stringify(key)}]`;
      else out += out === '' ? key : `.${key}`;
    }
  }
  return out === '' ? '(top level)' : out;
}

/** Fields whose values are secrets (config/redact.ts hides the same ones). */
const SECRET_FIELDS: ReadonlySet<PropertyKey> = new Set([
  'token',
  'secretAccessKey',
  'sessionToken',
]);

/**
 * True for the path of a secret: a token, a secret key, a session token, a webhook header value.
 * Messages about them never quote the value (an unquoted number in YAML is still a secret).
 */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  const last = path.at(-1);
  if (last !== undefined && SECRET_FIELDS.has(last)) return true;
  const headers = path.indexOf('headers');
  return headers > 0 && path[headers - 1] === 'webhook' && headers < path.length - 1;
}

/** "a string", "a list", "nothing": a value as YAML shows it (never a secret's value). */
function describeValue(value: unknown, secret = false): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'number' && !secret ? `the number ${value}` : article(typeof value);
}

function article(type: string): string {
  const word = { object: 'mapping', record: 'mapping', array: 'list', int: 'whole number' }[type];
  const noun = word ?? type;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function unionMessage(iss: Extract<RawIssue, { code: 'invalid_union' }>, secret: boolean): string {
  if (iss.input === undefined) return 'required';
  const expected = iss.errors.flatMap((branch) =>
    branch.flatMap((i) => (i.code === 'invalid_type' && i.path.length === 0 ? [i.expected] : [])),
  );
  return `expected ${[...new Set(expected)].map(article).join(' or ')}, got ${describeValue(iss.input, secret)}`;
}

/**
 * The error map s3ferry parses its configuration with. Unknown keys get the list of known ones
 * (read back by {@link collectIssues} to suggest the nearest).
 */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  const secret = isSecretPath(iss.path ?? []);
  if (iss.code === 'invalid_type')
    return iss.input === undefined
      ? 'required'
      : `expected ${article(iss.expected)}, got ${describeValue(iss.input, secret)}`;
  if (iss.code === 'invalid_value') {
    const got =
      iss.input === undefined ? 'nothing' : secret ? 'another value' : JSON.stringify(iss.input);
    return `expected one of ${iss.values.map(String).join(', ')}, got ${got}`;
  }
  if (iss.code === 'invalid_union') return unionMessage(iss, secret);
  if (iss.code === 'unrecognized_keys') {
    const shape = (iss.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def
      ?.shape;
    return shape === undefined ? undefined : KNOWN_PREFIX + Object.keys(shape).join(', ');
  }
  // Everything else keeps the schema's own message (bounds, formats, custom checks).
  return undefined;
};

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const nearest = known
    .map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  if (nearest !== undefined && nearest.d <= Math.max(1, Math.floor(nearest.k.length / 3)))
    return `unknown option (did you mean ${nearest.k}?)`;
  return known.length === 0 ? 'unknown option' : `unknown option (known: ${known.join(', ')})`;
}

/** True for a union branch that failed only because the value was of another type. */
function wrongTypeOnly(branch: readonly Issue[]): boolean {
  return branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
}

/** Flattens zod's issues into one {@link ConfigIssue} per problem, in document order. */
export function collectIssues(
  issues: readonly Issue[],
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // The branch for the value's type explains the problem; the others only say "wrong type".
      const specific = issue.errors.filter((branch) => !wrongTypeOnly(branch));
      if (specific.length === 1 && specific[0] !== undefined) {
        out.push(...collectIssues(specific[0], path));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      const known = issue.message.startsWith(KNOWN_PREFIX)
        ? issue.message.slice(KNOWN_PREFIX.length).split(', ')
        : [];
      for (const key of issue.keys)
        out.push({ path: formatPath([...path, key]), message: unknownKeyMessage(key, known) });
      continue;
    }
    if (issue.code === 'invalid_key') {
      out.push(...collectIssues(issue.issues, path));
      continue;
    }
    out.push({ path: formatPath(path), message: issue.message });
  }
  return out;
}

/** `jobs[1]` for `jobs[1].filters.include[0]`, `api` for `api.port`. */
function groupOf(path: string): string {
  return /^[^.[]+(?:\[\d+\])?/.exec(path)?.[0] ?? path;
}

/**
 * Puts together the issues of one top-level option or list item (`jobs[1]`), in the order the
 * groups first appear, so that the cross-job checks (run last) join their job's other problems.
 */
export function groupIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = new Map<string, number>();
  for (const issue of issues) {
    const group = groupOf(issue.path);
    if (!rank.has(group)) rank.set(group, rank.size);
  }
  const rankOf = (issue: ConfigIssue): number => rank.get(groupOf(issue.path)) ?? 0;
  return [...issues].sort((a, b) => rankOf(a) - rankOf(b));
}
