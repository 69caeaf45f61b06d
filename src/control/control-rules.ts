/**
 * Rules every implementation of the control service shares, so that the agent, the CLI on the
 * journal and the CLI over the API answer alike: which states a queue section lists, what a pause
 * change means for the files, what a retry of one file did, when an agent is ready, how the
 * agents of a journal are described, and what a link is asked for.
 */
import type { DestinationHealth } from '../agent/destination-runtime.js';
import type { LinkAsk } from '../agent/object-link.js';
import { PENDING_STATES, type FileState } from '../domain/file-state.js';
import { AppError } from '../errors/app-error.js';
import type { AgentRecord, JournalStore, Pauses } from '../journal/journal-store.js';
import type { AgentView, LinkRequest, QueueSection } from './control-service.js';

/** The journal states behind each section of the queue (pending: the one set of file-state.ts). */
export const QUEUE_FILE_STATES: Readonly<Record<QueueSection, readonly FileState[]>> = {
  pending: PENDING_STATES,
  waiting: ['waiting'],
  parked: ['parked'],
  skipped: ['skipped'],
};

/**
 * What a person must know after a pause change besides "done": a job resumed (or paused) while all
 * processing is paused moves nothing until `s3ferry resume` without a job. Undefined otherwise.
 */
export function pauseNote(
  job: string | undefined,
  paused: boolean,
  pauses: Pauses,
): string | undefined {
  if (job === undefined || !pauses.all) return undefined;
  return paused
    ? 'all processing is paused as well'
    : `all processing is paused: no file of job ${job} goes until \`s3ferry resume\` (without a job) switches it back on`;
}

/** Why a file that was not released is not waiting for a retry, by its state. */
const NOT_RETRYABLE_HINTS: Readonly<Record<FileState, string>> = {
  settling: 'it is still being written or changed: it is queued once it stays unchanged',
  queued: 'it is queued already: it goes as soon as a worker is free (or its job is resumed)',
  uploading: 'an agent is uploading it now',
  verifying: 'an agent is finishing it now',
  done: 'it is uploaded: `s3ferry link` gives a link to it',
  skipped:
    'it was skipped on purpose (see its reason in `s3ferry queue --skipped`); change the file or the overwrite policy to send it',
  waiting: 'it waits for its next try already',
  parked: 'it is parked: try again',
  cancelled: 'it vanished or its job is gone: nothing to send',
};

/**
 * Says why a retry of one file released nothing, always rejecting: ERR_FILE_UNKNOWN (no such id in
 * the journal) or ERR_FILE_NOT_RETRYABLE (its state, with what to do instead).
 */
export async function notRetried(
  journal: Pick<JournalStore, 'getFile'>,
  fileId: number,
): Promise<never> {
  const file = await journal.getFile(fileId);
  if (file === undefined)
    throw new AppError('ERR_FILE_UNKNOWN', `there is no file #${fileId} in the journal`, {
      hint: 'see the ids of parked and waiting files in `s3ferry queue`',
      details: { field: 'fileId' },
    });
  throw new AppError(
    'ERR_FILE_NOT_RETRYABLE',
    `file #${fileId} (${file.path}) is ${file.state}, not parked or waiting: nothing to retry`,
    { hint: NOT_RETRYABLE_HINTS[file.state], details: { field: 'fileId', state: file.state } },
  );
}

/** Whether an agent can upload: not when it has destinations and every one is unhealthy. */
export interface Readiness {
  readonly ready: boolean;
  readonly unhealthyDestinations: string[];
  /** Each unhealthy destination's cause and fix. */
  readonly causes: {
    readonly destination: string;
    readonly code: string;
    readonly cause: string;
    readonly hint: string;
  }[];
}

/** Readiness from the destinations' health (see {@link Readiness}). */
export function readiness(
  destinations: readonly { readonly name: string; readonly health: DestinationHealth }[],
): Readiness {
  const causes = destinations.flatMap((d) =>
    d.health.healthy
      ? []
      : [{ destination: d.name, code: d.health.code, cause: d.health.cause, hint: d.health.hint }],
  );
  return {
    ready: destinations.length === 0 || causes.length < destinations.length,
    unhealthyDestinations: causes.map((c) => c.destination),
    causes,
  };
}

/** The agents of a journal as the service shows them: which one answers, which are alive. */
export function agentViews(
  agents: readonly AgentRecord[],
  self: string | undefined,
  now: number,
  leaseMs: number,
): AgentView[] {
  return agents.map((a) => ({
    ...a,
    self: a.id === self,
    alive: now - a.lastHeartbeat <= leaseMs,
  }));
}

/** What the agent's links (agent/object-link.ts) are asked for, from the service's request. */
export function linkAsk(request: LinkRequest): LinkAsk {
  return {
    what: request.path ?? request.key ?? '',
    job: request.job,
    expiresMs: request.expiresMs,
    versionId: request.versionId,
  };
}
