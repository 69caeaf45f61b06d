/**
 * The one place the old text form of a file's reason, `CODE: message (fix: hint)`, is read: the
 * migration that moved reasons into three columns (code, message, hint) runs this SQL once per
 * journal. Afterwards nothing parses reason text. Reasons that named no code are given the code
 * of what they said (domain/file-state.ts REASON_CODES), or 'note'.
 */

type Dialect = 'sqlite' | 'postgres';

/** The old texts that named no code, by the code they mean now (LIKE patterns). */
const UNCODED: readonly (readonly [string, readonly string[]])[] = [
  ['hold-expired', ['held by an agent that stopped; taken up again']],
  [
    'released',
    ['released by agent % as it stopped', 'given back: %', 'queued again after a journal failure%'],
  ],
  ['changed', ['changed since it was queued%']],
  ['vanished', ['the file was deleted or moved before its upload%']],
  ['job-removed', ['job % is no longer configured%']],
  ['duplicate', ['same content as %']],
  [
    'exists',
    [
      '% exists and the overwrite policy is never%',
      '% already holds this content%',
      '% versions of % exist%',
    ],
  ],
];

/** SQL quoting of a fixed text of this module. */
const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The statements that fill reason_code, reason_message and reason_hint from the old `reason`
 * column (left in place: the caller drops it).
 */
export function parseReasonsSql(dialect: Dialect): string {
  const find = (hay: string, needle: string): string =>
    dialect === 'sqlite' ? `instr(${hay}, ${needle})` : `strpos(${hay}, ${needle})`;
  const colon = find('reason', `': '`);
  // `ERR_SOMETHING: ` at the start, with no space inside the code.
  const coded =
    dialect === 'sqlite'
      ? `(reason GLOB 'ERR_[A-Z0-9_]*: *' AND instr(substr(reason, 1, ${colon} - 1), ' ') = 0)`
      : `(reason ~ '^ERR_[A-Z0-9_]+: ')`;
  const uncoded = UNCODED.map(
    ([code, patterns]) =>
      `WHEN ${patterns.map((p) => `reason LIKE ${quote(p)}`).join(' OR ')} THEN ${quote(code)}`,
  ).join('\n      ');
  const fix = find('reason_message', `' (fix: '`);
  return `
UPDATE files SET
  reason_code = CASE WHEN ${coded} THEN substr(reason, 1, ${colon} - 1)
      ${uncoded}
      ELSE 'note' END,
  reason_message = CASE WHEN ${coded} THEN substr(reason, ${colon} + 2) ELSE reason END
WHERE reason IS NOT NULL;
UPDATE files SET
  reason_hint = substr(reason_message, ${fix} + 7, length(reason_message) - ${fix} - 7),
  reason_message = substr(reason_message, 1, ${fix} - 1)
WHERE reason_code LIKE 'ERR%' AND reason_message LIKE '% (fix: %)';
`;
}
