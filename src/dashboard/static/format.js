// Numbers, sizes, speeds, durations and times as people read them.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const numberFormat = new Intl.NumberFormat();

/**
 * 1536 -> "1.5 KiB".
 * @param {number | null | undefined} n
 */
export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '–';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  const digits = i === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${UNITS[i]}`;
}

/**
 * Bytes per second -> "4.00 MiB/s".
 * @param {number | null | undefined} n
 */
export function rate(n) {
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return '–';
  return `${bytes(n)}/s`;
}

/**
 * 1234567 -> "1,234,567".
 * @param {number | null | undefined} n
 */
export function count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? numberFormat.format(n) : '–';
}

/**
 * ms -> "3 h 05 m", "2 m 10 s", "12 s", "0.4 s".
 * @param {number | null | undefined} ms
 */
export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 100) return '< 0.1 s';
  if (ms < 1000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');

/**
 * ms since the epoch -> "14:03:07" today, "Mar 4, 14:03" this year, else "2023-03-04 14:03".
 * @param {number | null | undefined} ms
 */
export function time(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  const d = new Date(ms);
  const now = new Date();
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return hms;
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.getFullYear() === now.getFullYear()) {
    return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${hm}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/**
 * The full local time, for title attributes.
 * @param {number | null | undefined} ms
 */
export function fullTime(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return new Date(ms).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

/**
 * ms since the epoch -> "just now", "3 min ago", "2 h ago", else the time.
 * @param {number | null | undefined} ms
 * @param {number} [now]
 */
export function ago(ms, now = Date.now()) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  const s = Math.round((now - ms) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return time(ms);
}

/**
 * ms since the epoch -> "just now", "3 s ago", "59 s ago", then as {@link ago}: to the second,
 * for heartbeats, where 4 s against a lease of 3 s matters. A time ahead of this browser's clock
 * (the agent's clock runs ahead) reads "just now".
 * @param {number | null | undefined} ms
 * @param {number} [now]
 */
export function agoExact(ms, now = Date.now()) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  const s = Math.floor((now - ms) / 1000);
  if (s < 1) return 'just now';
  if (s < 60) return `${s} s ago`;
  return ago(ms, now);
}

/**
 * The last segment of a path.
 * @param {string | null | undefined} p
 */
export function baseName(p) {
  const s = p ?? '';
  const i = s.lastIndexOf('/');
  return i >= 0 ? s.slice(i + 1) : s;
}

/**
 * The directory part of a path, with its trailing slash ('' for a bare name).
 * @param {string | null | undefined} p
 */
export function dirName(p) {
  const s = p ?? '';
  const i = s.lastIndexOf('/');
  return i >= 0 ? s.slice(0, i + 1) : '';
}

/**
 * The one "pending" set (src/domain/file-state.ts PENDING_STATES; a unit test keeps the two
 * equal): files on their way that need nobody. Parked files need a person and are shown apart.
 */
/** @type {readonly import('../types/api').FileRecord['state'][]} */
export const PENDING_STATES = ['settling', 'queued', 'waiting', 'uploading', 'verifying'];

/**
 * A FileRecord's reason, `{ code, message, hint }` as the API gives it (or null), with '' for the
 * parts that are not there. Only failures carry an `ERR_…` code worth showing; other codes name a
 * note (released, changed, …) and are not a problem.
 * @param {import('../types/api').FileReason | null | undefined} reason
 */
export function reasonParts(reason) {
  if (!reason) return { code: '', message: '', hint: '' };
  return {
    code: reason.code.startsWith('ERR_') ? reason.code : '',
    message: reason.message,
    hint: reason.hint ?? '',
  };
}
