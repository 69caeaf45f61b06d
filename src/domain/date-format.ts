/**
 * Date formatting for key templates (`{mtime:yyyyMMddHHmmss}`), always in UTC: keys must not
 * depend on the machine's time zone or change at a daylight-saving switch. A local-time variant is
 * deliberately not offered.
 *
 * Fields: `yyyy` year (at least 4 digits), `yy` year modulo 100, `MM` month 01-12, `dd` day
 * 01-31, `HH` hour 00-23, `mm` minute, `ss` second, `SSS` millisecond. Every other ASCII letter
 * is refused (so a typo like `YYYY` or `hh` is caught at config time); put literal letters in
 * single quotes (`yyyyMMdd'T'HHmmss'Z'`), and write `''` for a quote. Anything else (digits,
 * `-`, `_`, `.`, `/`, `:`, non-ASCII) is copied as is.
 */
import { AppError } from '../errors/app-error.js';

/** The fields a date format may use. */
export const DATE_FIELDS = ['yyyy', 'yy', 'MM', 'dd', 'HH', 'mm', 'ss', 'SSS'] as const;
/** One of {@link DATE_FIELDS}. */
export type DateField = (typeof DATE_FIELDS)[number];

type Piece = { readonly field: DateField } | { readonly text: string };

const FIELD_SET: ReadonlySet<string> = new Set(DATE_FIELDS);

/** Splits a format into fields and literal text, or returns the reason it is invalid. */
function parse(format: string): Piece[] | string {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i] ?? '';
    if (c === "'") {
      if (format[i + 1] === "'") {
        pieces.push({ text: "'" });
        i += 2;
        continue;
      }
      const end = format.indexOf("'", i + 1);
      if (end < 0) return `the quote at position ${i + 1} is never closed`;
      pieces.push({ text: format.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i + 1;
      while (format[j] === c) j += 1;
      const run = format.slice(i, j);
      if (!FIELD_SET.has(run)) {
        return (
          `'${run}' is not a date field; fields are ${DATE_FIELDS.join(' ')} (UTC), ` +
          `and literal letters go in single quotes ('T')`
        );
      }
      pieces.push({ field: run as DateField });
      i = j;
    } else {
      pieces.push({ text: c });
      i += 1;
    }
  }
  if (!pieces.some((p) => 'field' in p)) return 'it has no date field';
  return pieces;
}

/**
 * Config-time check of a date format: the reason it is invalid (unknown letters, an unclosed
 * quote, no field at all), or undefined when {@link formatDate} accepts it.
 */
export function checkDateFormat(format: string): string | undefined {
  const parsed = parse(format);
  return typeof parsed === 'string' ? parsed : undefined;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function fieldValue(date: Date, field: DateField): string {
  switch (field) {
    case 'yyyy':
      return pad(date.getUTCFullYear(), 4);
    case 'yy':
      return pad(date.getUTCFullYear() % 100, 2);
    case 'MM':
      return pad(date.getUTCMonth() + 1, 2);
    case 'dd':
      return pad(date.getUTCDate(), 2);
    case 'HH':
      return pad(date.getUTCHours(), 2);
    case 'mm':
      return pad(date.getUTCMinutes(), 2);
    case 'ss':
      return pad(date.getUTCSeconds(), 2);
    case 'SSS':
      return pad(date.getUTCMilliseconds(), 3);
  }
}

/** True when `ms` is a time {@link formatDate} can format: a JavaScript Date in year 1 or later. */
export function isFormattableTime(ms: number): boolean {
  const date = new Date(Math.trunc(ms));
  return !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1;
}

/**
 * Formats `ms` (milliseconds since the epoch, fractions truncated) in UTC, e.g.
 * `formatDate(0, 'yyyy-MM-dd') === '1970-01-01'`. Years before 1 are not supported. Throws AppError
 * ERR_CONFIG_INVALID for a format {@link checkDateFormat} refuses, ERR_USAGE for a time outside
 * the range of a JavaScript Date or before year 1 ({@link isFormattableTime} says which).
 */
export function formatDate(ms: number, format: string): string {
  const parsed = parse(format);
  if (typeof parsed === 'string') {
    throw new AppError('ERR_CONFIG_INVALID', `invalid date format '${format}': ${parsed}`);
  }
  if (!isFormattableTime(ms)) {
    throw new AppError('ERR_USAGE', `cannot format the time ${ms} ms as a date`);
  }
  const date = new Date(Math.trunc(ms));
  return parsed.map((p) => ('field' in p ? fieldValue(date, p.field) : p.text)).join('');
}
