/** The queries the agent and the CLI on the journal answer alike, straight from the journal. */
import type { EventRecord, JournalStore, Page } from '../journal/journal-store.js';
import type { EventQuery } from '../journal/journal-store.js';
import { QUEUE_FILE_STATES } from './control-rules.js';
import type { QueueQuery, QueueView } from './control-service.js';

/** The sections of the queue asked for, each a page of the journal's files. */
export async function queueFromJournal(
  journal: Pick<JournalStore, 'pageFiles'>,
  query: QueueQuery,
): Promise<QueueView> {
  const view: QueueView = {};
  for (const section of query.sections)
    view[section] = await journal.pageFiles({
      states: QUEUE_FILE_STATES[section],
      ...(query.job === undefined ? {} : { job: query.job }),
      limit: query.limit,
      ...(query.offset === undefined ? {} : { offset: query.offset }),
    });
  return view;
}

/** A page of the journal's events and how many the filter matches. */
export async function eventsFromJournal(
  journal: Pick<JournalStore, 'listEvents' | 'countEvents'>,
  query: EventQuery,
): Promise<Page<EventRecord>> {
  const { type, job, since, key } = query;
  const filter = {
    ...(type === undefined ? {} : { type }),
    ...(job === undefined ? {} : { job }),
    ...(since === undefined ? {} : { since }),
    ...(key === undefined ? {} : { key }),
  };
  const [items, total] = await Promise.all([
    journal.listEvents(query),
    journal.countEvents(filter),
  ]);
  return { items, total };
}
