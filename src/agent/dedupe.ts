/**
 * Content dedupe (DESIGN.md item 8): a file whose content was already uploaded to this destination
 * is skipped, or copied server-side to its new key. "Already uploaded" means the journal's history
 * has a successful upload with the same checksum AND the object is still there with that size.
 */
import type { HistoryRecord, JournalStore } from '../journal/journal-store.js';
import type { ObjectTarget } from '../object-store/object-target.js';

/** The earlier upload of the same content in this bucket, if it still exists. */
export async function findDuplicate(
  journal: JournalStore,
  target: ObjectTarget,
  checksum: string,
  size: number,
  signal: AbortSignal,
): Promise<HistoryRecord | undefined> {
  const prior = await journal.findDoneByChecksum(checksum);
  if (prior?.bucket !== target.bucket || prior.endpoint !== target.endpoint || prior.size !== size)
    return undefined;
  const head = await target.headObject(prior.key, signal);
  return head?.size === size ? prior : undefined;
}
