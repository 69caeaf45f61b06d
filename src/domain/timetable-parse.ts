/**
 * Parsing the text of a bandwidth limit (the grammar: bandwidth-timetable.ts) into its steps. An
 * error names the column (1-based, in the text as written) of the fault and the fix. Pure.
 */
import {
  DAY_MINUTES,
  DAY_NAMES,
  hhmm,
  parseRate,
  RATE_HINT,
  rateProblem,
  type BandwidthStep,
  type TimetableResult,
} from './bandwidth-timetable.js';

const FULL_DAY_NAMES = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
];

const DAY_HINT = 'write Mon, Tue, Wed, Thu, Fri, Sat or Sun, or a range like Mon-Fri';
const TIME_HINT = 'write a time of day as HH:MM, 00:00 to 23:59';

interface Token {
  readonly text: string;
  /** 1-based column in the whole text. */
  readonly column: number;
}

class ParseError extends Error {
  constructor(
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

/** The tokens of one group: words and the punctuation `,` and `-`. */
function tokenize(text: string, offset: number): Token[] {
  const out: Token[] = [];
  const re = /[,-]|[^\s,-]+/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    out.push({ text: m[0], column: offset + m.index + 1 });
  return out;
}

/** The day a word names (Mon or Monday, any case), as Date.getDay() numbers it; else undefined. */
function dayOf(word: string): number | undefined {
  const w = word.toLowerCase();
  const short = DAY_NAMES.findIndex((d) => d.toLowerCase() === w);
  const day = short >= 0 ? short : FULL_DAY_NAMES.indexOf(w);
  return day >= 0 ? day : undefined;
}

const TIME = /^(\d{1,2}):(\d{2})$/;

function isTime(word: string): boolean {
  return TIME.test(word);
}

function minuteOf(t: Token): number {
  const m = TIME.exec(t.text);
  const h = Number(m?.[1]);
  const min = Number(m?.[2]);
  if (m === null || h > 23 || min > 59)
    throw new ParseError(t.column, `"${t.text}" is not a time of day: ${TIME_HINT}`);
  return h * 60 + min;
}

/** A cursor over a group's tokens. */
class Cursor {
  #i = 0;
  constructor(
    readonly tokens: readonly Token[],
    /** The column just after the group, for what is missing at its end. */
    readonly end: number,
  ) {}
  peek(ahead = 0): Token | undefined {
    return this.tokens[this.#i + ahead];
  }
  next(): Token | undefined {
    const t = this.tokens[this.#i];
    this.#i += 1;
    return t;
  }
}

/** `Mon`, `Mon-Fri`, `Fri-Mon` (across the week's end): the days, in order. */
function dayRange(c: Cursor): number[] {
  const first = c.next() as Token;
  const from = dayOf(first.text) as number;
  if (c.peek()?.text !== '-') return [from];
  c.next();
  const last = c.next();
  const to = last === undefined ? undefined : dayOf(last.text);
  if (last === undefined || to === undefined)
    throw new ParseError(
      last?.column ?? c.end,
      `${last === undefined ? 'a day' : `"${last.text}"`} should end the range ${first.text}-: ${DAY_HINT}`,
    );
  const days = [from];
  for (let d = from; d !== to;) {
    d = (d + 1) % 7;
    days.push(d);
  }
  return days;
}

/** The days a group starts with, or undefined when it starts with a step. */
function days(c: Cursor): { days: number[]; column: number } | undefined {
  const first = c.peek();
  if (first === undefined || dayOf(first.text) === undefined) return undefined;
  const out: number[] = [];
  for (;;) {
    for (const d of dayRange(c)) {
      if (out.includes(d))
        throw new ParseError(first.column, `${DAY_NAMES[d]} is named twice in these days`);
      out.push(d);
    }
    const after = c.peek(1);
    if (c.peek()?.text !== ',' || after === undefined || dayOf(after.text) === undefined) break;
    c.next();
  }
  return { days: out, column: first.column };
}

/** One step: `[HH:MM] rate`; `first` allows leaving out the time (00:00). */
function step(c: Cursor, first: boolean): { minute: number; rate: number | null; column: number } {
  const t = c.next();
  if (t === undefined || t.text === ',')
    throw new ParseError(t?.column ?? c.end, `a step is missing here: write e.g. 08:00 4MiB`);
  let minute = 0;
  let rateToken: Token | undefined = t;
  if (isTime(t.text) || /^\d+:\d+$/.test(t.text)) {
    minute = minuteOf(t);
    rateToken = c.next();
    if (rateToken === undefined || rateToken.text === ',')
      throw new ParseError(
        rateToken?.column ?? c.end,
        rateToken?.text === ','
          ? `${t.text} needs its rate after a space, not a comma (commas separate steps): write e.g. ${t.text} 4MiB`
          : `${t.text} needs a rate after it: write e.g. ${t.text} 4MiB, or ${t.text} off`,
      );
  } else if (!first) {
    if (dayOf(t.text) !== undefined)
      throw new ParseError(
        t.column,
        `days start a group, after a ";": write e.g. Mon-Fri 08:00 4MiB; ${t.text} off`,
      );
    throw new ParseError(
      t.column,
      `"${t.text}" needs its time: a step after the first is HH:MM RATE, e.g. 18:00 off`,
    );
  }
  const rate = parseRate(rateToken.text);
  if (rate === undefined) throw new ParseError(rateToken.column, notARate(rateToken.text));
  return { minute, rate, column: t.column };
}

/** Why a word where a rate belongs is not one. */
function notARate(word: string): string {
  if (dayOf(word) !== undefined)
    return `${word} comes too late: list the days first, with commas (Mon,Wed-Fri 08:00 4MiB), or start a group of its own after ";"`;
  if (/^[a-z]+$/i.test(word))
    return `"${word}" is neither a day nor a rate: ${DAY_HINT}; a rate: ${RATE_HINT}`;
  return rateProblem(word);
}

interface Group {
  /** Undefined: every day no other group names. */
  readonly days: readonly number[] | undefined;
  readonly column: number;
  readonly steps: readonly { minute: number; rate: number | null }[];
}

function group(text: string, offset: number): Group {
  const c = new Cursor(tokenize(text, offset), offset + text.length + 1);
  const start = c.peek();
  if (start === undefined)
    throw new ParseError(
      offset + 1,
      'nothing is between these ";": remove the extra ";", or write the days and steps of a group',
    );
  const named = days(c);
  if (named !== undefined && c.peek() === undefined)
    throw new ParseError(
      c.end,
      `the days need a rate or steps after them: write e.g. ${text.trim()} off, or ${text.trim()} 08:00 4MiB, 18:00 off`,
    );
  const steps: { minute: number; rate: number | null }[] = [];
  const seen = new Map<number, number>();
  for (let first = true; ; first = false) {
    const s = step(c, first);
    const before = seen.get(s.minute);
    if (before !== undefined)
      throw new ParseError(
        s.column,
        `${hhmm(s.minute)} is set twice in this group (also at column ${before}): give each time once`,
      );
    seen.set(s.minute, s.column);
    steps.push({ minute: s.minute, rate: s.rate });
    const sep = c.next();
    if (sep === undefined) break;
    if (sep.text !== ',')
      throw new ParseError(
        sep.column,
        `"${sep.text}" follows a step: separate steps with "," and groups of days with ";", e.g. Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off`,
      );
  }
  return { days: named?.days, column: named?.column ?? start.column, steps };
}

/** The groups of `text`, split at ';' with their offsets. */
function groups(text: string): Group[] {
  const out: Group[] = [];
  let offset = 0;
  for (const part of text.split(';')) {
    out.push(group(part, offset));
    offset += part.length + 1;
  }
  return out;
}

/** Which group holds each day (index into `gs`), checking that no day is in two. */
function dayOwners(gs: readonly Group[]): (number | undefined)[] {
  const owner: (number | undefined)[] = Array.from({ length: 7 }, () => undefined);
  const rest = gs.findIndex((g) => g.days === undefined);
  gs.forEach((g, i) => {
    if (g.days === undefined) {
      if (i !== rest)
        throw new ParseError(
          g.column,
          `only one group may leave out its days (the one at column ${gs[rest]?.column ?? 1} does): join their steps with ",", or name the days, e.g. Sat-Sun off`,
        );
      return;
    }
    for (const d of g.days) {
      const other = owner[d];
      if (other !== undefined)
        throw new ParseError(
          g.column,
          `${DAY_NAMES[d]} is already in the group at column ${gs[other]?.column ?? 1}: name each day in one group only`,
        );
      owner[d] = i;
    }
  });
  const unnamed = owner.flatMap((o, d) => (o === undefined ? [d] : []));
  if (rest >= 0 && unnamed.length === 0)
    throw new ParseError(
      gs[rest]?.column ?? 1,
      'this group without days holds on no day (the other groups name every day): name its days, or remove it',
    );
  if (rest >= 0) for (const d of unnamed) owner[d] = rest;
  return owner;
}

/** Parses a limit (see the module comment); the error names the column and the fix. */
export function parseTimetable(input: string): TimetableResult {
  const text = input.trim();
  if (text === '')
    return {
      ok: false,
      error: {
        column: 1,
        message:
          'the limit is empty: write a rate like 4MiB, off, or a timetable like "Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off"',
      },
    };
  const lead = input.length - input.trimStart().length;
  try {
    const gs = groups(text);
    const owners = dayOwners(gs);
    const steps: BandwidthStep[] = [];
    owners.forEach((g, day) => {
      if (g === undefined) return;
      for (const s of gs[g]?.steps ?? [])
        steps.push({ weekMinute: day * DAY_MINUTES + s.minute, bytesPerSec: s.rate });
    });
    steps.sort((a, b) => a.weekMinute - b.weekMinute);
    return { ok: true, timetable: { text, steps } };
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { ok: false, error: { column: err.column + lead, message: err.message } };
  }
}
