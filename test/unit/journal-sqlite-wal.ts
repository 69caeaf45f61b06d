/**
 * How many transactions SQLite committed to a database's WAL, read from the WAL file itself
 * (https://www.sqlite.org/fileformat.html#the_write_ahead_log), so that tests count commits as
 * SQLite wrote them rather than as the code under test believes it made them.
 */
import { existsSync, readFileSync } from 'node:fs';

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/**
 * The commit frames of the current WAL of the database at `dbPath`: frames whose "database size
 * after commit" field is set, and whose salts match the WAL header (frames left over from before
 * the WAL was last restarted carry other salts and no longer count). 0 when there is no WAL.
 * Valid only while no checkpoint restarts the WAL in between two readings: keep the test small
 * (SQLite checkpoints at 1,000 pages by default).
 */
export function walCommits(dbPath: string): number {
  const path = `${dbPath}-wal`;
  if (!existsSync(path)) return 0;
  const wal = readFileSync(path);
  if (wal.length < WAL_HEADER) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let commits = 0;
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length;) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits += 1;
    at += FRAME_HEADER + pageSize;
  }
  return commits;
}
