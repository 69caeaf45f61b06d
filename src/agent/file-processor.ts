/**
 * Takes one claimed file to its end state: render its key, apply the overwrite policy, upload and
 * verify through the transfer engine, then keep, delete or move the source, and record the outcome.
 * Every outcome is one journal state change plus one event:
 *   done | skipped (exists, unchanged) | parked (this file's problem, with cause and fix)
 *   | waiting (destination or network; retried later) | queued (the agent is stopping)
 */
import { mkdir, rename, copyFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { backoffDelay } from '../domain/backoff.js';
import { AppError, isAppError, toAppError } from '../errors/app-error.js';
import type { FileReason, Hold } from '../domain/file-state.js';
import {
  heldLedger,
  type EventLevel,
  type FileRecord,
  type HistoryRecord,
  type JournalStore,
  type NewEvent,
  type UploadRecord,
} from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import { fileError } from '../platform/node-file-system.js';
import type { ObjectHead } from '../object-store/object-target.js';
import { sameFile, type FileStat, type FileSystem } from '../transfer/file-system.js';
import { historyRow } from '../transfer/history-row.js';
import { writtenFromSource } from '../transfer/ownership.js';
import { findDuplicate } from './dedupe.js';
import { fileDigests, objectKey } from './object-key.js';
import type { EventSink } from './event-sink.js';
import type { JobRuntime } from './job-runtime.js';
import { chooseKey, type KeyChoice } from './overwrite-policy.js';
import type { TransferTracker } from './transfer-tracker.js';

export interface ProcessorDeps {
  readonly journal: JournalStore;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly fs: FileSystem;
  readonly hostname: string;
  readonly owner: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly random: () => number;
  /** Where running uploads report their progress (the API's live transfers). */
  readonly transfers?: TransferTracker;
}

export class FileProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  /**
   * Processes a file claimed from the journal (state 'uploading', or 'verifying' when taken over).
   * Every move of the file goes through the journal's named transitions under this agent's hold;
   * once the hold lapsed (ERR_LEASE_LOST: another agent took the file over) it stops at once:
   * no after-action, no outcome, no file.done. Never throws but on journal failure (ERR_JOURNAL*):
   * then the file's outcome could not be recorded and it is still held; the caller gives it back
   * once the journal can be written.
   */
  async process(file: FileRecord, job: JobRuntime, signal: AbortSignal): Promise<void> {
    try {
      await this.#run(file, job, signal);
    } catch (raw) {
      const err = toAppError(raw);
      if (err.code === 'ERR_LEASE_LOST') return;
      await this.#fail(file, job, err).catch((failed: unknown) => {
        if (!isAppError(failed, 'ERR_LEASE_LOST')) throw failed;
      });
    }
  }

  /** This agent's hold on `file`. */
  #hold(file: FileRecord): Hold {
    return { fileId: file.id, owner: this.deps.owner };
  }

  /** An event about a file, to record with its transition. */
  #event(
    type: string,
    level: EventLevel,
    message: string,
    about: { path?: string; key?: string; data?: Record<string, unknown> },
  ): NewEvent {
    return { at: this.deps.clock.now(), type, level, message, ...about };
  }

  /** uploading -> verifying, unless the file was taken over in 'verifying' already. */
  async #markVerifying(file: FileRecord): Promise<void> {
    if (file.state === 'verifying') return;
    await this.deps.journal.markVerifying(this.#hold(file), this.deps.clock.now());
  }

  async #run(file: FileRecord, job: JobRuntime, signal: AbortSignal): Promise<void> {
    const { journal, clock, events } = this.deps;
    const hold = this.#hold(file);
    const st = await this.deps.fs.stat(file.path).catch((err: unknown) => {
      if (isAppError(err, 'ERR_FILE_NOT_FOUND')) return undefined;
      throw err;
    });
    if (st === undefined && file.state === 'verifying') {
      await this.#finishTakenOver(file, job);
      return;
    }
    if (st === undefined) {
      const moved = await journal.cancel(hold, clock.now(), {
        reason: {
          code: 'vanished',
          message: 'the file was deleted or moved before its upload',
          hint: null,
        },
        event: this.#event('file.cancelled', 'warn', `${file.path} vanished before its upload`, {
          path: file.path,
        }),
      });
      events.announce(moved.event);
      return;
    }
    if (!sameFile(st, file)) {
      // Still being written: the source reports it again once it is stable.
      await journal.resettle(hold, clock.now(), {
        reason: { code: 'changed', message: 'changed since it was queued', hint: null },
      });
      return;
    }
    const where = job.locate(file.path);
    if (where === undefined)
      throw new AppError(
        'ERR_FILE_NOT_FOUND',
        `${file.path} is no longer under a source of job ${job.name}`,
        { hint: 'the configuration changed' },
      );
    const dest = job.destination;
    const { digests, checksum } = await fileDigests(file.path, job.config, signal);
    const key = objectKey(file.path, job, where.relPath, st, digests, {
      nowMs: clock.now(),
      hostname: this.deps.hostname,
      env: this.deps.env,
    });
    const destination = { endpoint: dest.target.endpoint, bucket: dest.target.bucket, key };

    // Uploaded and verified before (e.g. a crash came before the after-action): do not send it again.
    const latest = await journal.findLatestUpload(destination);
    const already =
      latest?.state === 'verified' &&
      latest.source.path === file.path &&
      sameFile(latest.source, st);
    if (already) await this.#recordVerified(latest, job, checksum);
    let finalKey = key;
    let size = st.size;
    if (!already && job.config.dedupe.enabled && checksum !== undefined) {
      const dup = await findDuplicate(journal, dest.target, checksum, st.size, signal);
      if (dup !== undefined) {
        await this.#deduplicated(
          file,
          job,
          { key, checksum, size: st.size, relPath: where.relPath, sha256: digests.sha256 },
          dup,
          signal,
        );
        return;
      }
    }
    if (!already) {
      const sent = await this.#send(file, job, st, key, digests.sha256, checksum, signal);
      if (sent === undefined) return;
      ({ key: finalKey, size } = sent);
    }
    await this.#markVerifying(file);
    await this.#after(file, job, where.relPath);
    const done = await journal.complete(hold, clock.now(), {
      event: this.#event(
        'file.done',
        'info',
        `${file.path} is in s3://${dest.target.bucket}/${finalKey}`,
        {
          path: file.path,
          key: finalKey,
          // what was sent: a file that grew before its upload restarted went up whole
          data: { job: job.name, size, alreadyUploaded: already },
        },
      ),
    });
    events.announce(done.event);
  }

  /**
   * Chooses the key by the overwrite policy and uploads; undefined when the file was skipped (the
   * key is another writer's; under `never` the transfer service finds that out itself).
   */
  async #send(
    file: FileRecord,
    job: JobRuntime,
    st: FileStat,
    key: string,
    sha256: string | undefined,
    checksum: string | undefined,
    signal: AbortSignal,
  ): Promise<{ key: string; size: number } | undefined> {
    const choice = await chooseKey(
      job.destination.target,
      key,
      job.config.overwrite,
      st.size,
      sha256,
      signal,
      (head) => this.#isOurs(head, file, st),
      true,
    );
    if (choice.kind === 'skip') {
      // Not ours in the store: the source is kept whatever the after-action, nothing is lost.
      await this.#skipped(file, key, choice.reason);
      return undefined;
    }
    try {
      return {
        key: choice.key,
        size: await this.#upload(file, job, choice, sha256, checksum, signal),
      };
    } catch (err) {
      if (!isAppError(err, 'ERR_S3_PRECONDITION_FAILED')) throw err;
      await this.#skipped(file, key, err.message);
      return undefined;
    }
  }

  async #skipped(file: FileRecord, key: string, message: string): Promise<void> {
    const moved = await this.deps.journal.skip(this.#hold(file), this.deps.clock.now(), {
      reason: { code: 'exists', message, hint: null },
      event: this.#event('file.skipped', 'info', `${file.path}: ${message}`, {
        path: file.path,
        key,
      }),
    });
    this.deps.events.announce(moved.event);
  }

  /**
   * A file taken over in 'verifying' whose source is gone (from a dead agent of a fleet, or from this
   * agent's previous run: Agent #reclaim): its holder had uploaded and verified the
   * object, then stopped after the after-action (delete, move) and before recording 'done'.
   */
  async #finishTakenOver(file: FileRecord, job: JobRuntime): Promise<void> {
    const { journal, clock, events } = this.deps;
    const [last] = await journal.listHistory({ limit: 1, sourcePath: file.path });
    const where = last === undefined ? '' : ` is in s3://${last.bucket}/${last.key}`;
    const done = await journal.complete(this.#hold(file), clock.now(), {
      event: this.#event(
        'file.done',
        'info',
        `${file.path}${where}: uploaded and verified by an agent that stopped before recording it (the source was moved or deleted after the upload)`,
        {
          path: file.path,
          ...(last === undefined ? {} : { key: last.key }),
          data: { job: job.name, takenOver: true },
        },
      ),
    });
    events.announce(done.event);
  }

  /**
   * Uploads through the destination's transfer service, then records the history row (done, or
   * failed/cancelled; none for a key found taken, the file is skipped). Returns the bytes sent.
   */
  async #upload(
    file: FileRecord,
    job: JobRuntime,
    choice: Extract<KeyChoice, { kind: 'upload' }>,
    sha256: string | undefined,
    checksum: string | undefined,
    signal: AbortSignal,
  ): Promise<number> {
    const { journal, clock } = this.deps;
    const transfer = job.destination.transfer;
    const live = this.deps.transfers?.begin({
      fileId: file.id,
      job: job.name,
      path: file.path,
      key: choice.key,
      size: file.size,
    });
    const subject = {
      path: file.path,
      key: choice.key,
      job: job.name,
      ...(checksum === undefined ? {} : { checksum }),
    };
    const startedAt = clock.now();
    try {
      const result = await transfer.upload(
        {
          path: file.path,
          key: choice.key,
          ifNoneMatch: choice.ifNoneMatch,
          ...(sha256 === undefined ? {} : { metadata: { 's3ferry-sha256': sha256 } }),
          // every write of the upload's ledger applies only while this agent holds the file
          ledger: heldLedger(journal, this.#hold(file)),
          ...(job.config.retryTimeout === undefined
            ? {}
            : { retryTimeout: job.config.retryTimeout }),
          job: job.name,
          observer: {
            onProgress: (p) => live?.progress(p.bytes),
            onEvent: (e) => {
              if (e.type === 'upload.restarted') live?.restart();
            },
          },
        },
        signal,
      );
      await journal.addHistory(historyRow(transfer.target, subject, { result }));
      return result.size;
    } catch (raw) {
      const error = toAppError(raw);
      // No row when the journal cannot take one, nor for a key found taken (the file is skipped).
      const noRow =
        error.code.startsWith('ERR_JOURNAL') || error.code === 'ERR_S3_PRECONDITION_FAILED';
      if (!noRow) {
        const outcome = { error, startedAt, finishedAt: clock.now() };
        await journal.addHistory(historyRow(transfer.target, subject, outcome));
      }
      throw error;
    } finally {
      live?.end();
    }
  }

  /**
   * The content is already in the bucket: skip (the after-action still runs: the bytes are safe in
   * the store), or copy it server-side to this file's key under the overwrite policy.
   */
  async #deduplicated(
    file: FileRecord,
    job: JobRuntime,
    f: { key: string; checksum: string; size: number; relPath: string; sha256: string | undefined },
    dup: HistoryRecord,
    signal: AbortSignal,
  ): Promise<void> {
    const { journal, clock, events } = this.deps;
    const target = job.destination.target;
    const where = `s3://${target.bucket}/${dup.key}`;
    if (job.config.dedupe.action === 'skip' || dup.key === f.key) {
      // The bytes are safe in the store ('verifying'); the after-action runs under the hold, and
      // 'skipped' then ends it.
      await this.#markVerifying(file);
      await this.#after(file, job, f.relPath);
      const moved = await journal.skip(this.#hold(file), clock.now(), {
        reason: {
          code: 'duplicate',
          message: `same content as ${where} (${f.checksum})`,
          hint: null,
        },
        event: this.#event('file.skipped', 'info', `${file.path}: same content as ${where}`, {
          path: file.path,
          key: dup.key,
          data: { checksum: f.checksum },
        }),
      });
      events.announce(moved.event);
      return;
    }
    const choice = await chooseKey(target, f.key, job.config.overwrite, f.size, f.sha256, signal);
    if (choice.kind === 'skip') {
      await this.#skipped(file, f.key, choice.reason);
      return;
    }
    const started = clock.now();
    const { etag } = await target.copyObject(dup.key, choice.key, signal);
    const finished = clock.now();
    await journal.addHistory({
      sourcePath: file.path,
      endpoint: target.endpoint,
      bucket: target.bucket,
      key: choice.key,
      size: f.size,
      startedAt: started,
      finishedAt: finished,
      avgBytesPerSec: f.size / Math.max(0.001, (finished - started) / 1000),
      attempts: 1,
      etag: etag || null,
      checksum: f.checksum,
      result: 'done',
      error: null,
      job: job.name,
    });
    await this.#markVerifying(file);
    await this.#after(file, job, f.relPath);
    const done = await journal.complete(this.#hold(file), clock.now(), {
      event: this.#event(
        'file.done',
        'info',
        `${file.path}: copied server-side from ${where} to s3://${target.bucket}/${choice.key}`,
        {
          path: file.path,
          key: choice.key,
          data: { job: job.name, size: f.size, copiedFrom: dup.key },
        },
      ),
    });
    events.announce(done.event);
  }

  /**
   * The transfer service journals an upload verified, and #upload writes its history row once it
   * returns: a kill between the two leaves a verified upload without a row. The next run rightly
   * sends nothing again, but the upload would be missing from the history (`s3ferry history`, the
   * dashboard): write the row now, unless the history already holds it (a row for this key that
   * ended after this upload began).
   */
  async #recordVerified(
    upload: UploadRecord,
    job: JobRuntime,
    checksum: string | undefined,
  ): Promise<void> {
    const { journal, clock } = this.deps;
    const { destination: d, source } = upload;
    const rows = await journal.listHistory({ limit: 100, sourcePath: source.path });
    const recorded = rows.some(
      (h) =>
        h.result === 'done' &&
        h.endpoint === d.endpoint &&
        h.bucket === d.bucket &&
        h.key === d.key &&
        h.finishedAt >= upload.startedAt,
    );
    if (recorded) return;
    const finishedAt = upload.finishedAt ?? clock.now();
    const fallback =
      upload.etag === null ? null : `${upload.mode === 'single' ? 'md5' : 'etag'}:${upload.etag}`;
    await journal.addHistory({
      sourcePath: source.path,
      endpoint: d.endpoint,
      bucket: d.bucket,
      key: d.key,
      size: source.size,
      startedAt: upload.startedAt,
      finishedAt,
      avgBytesPerSec: source.size / Math.max(0.001, (finishedAt - upload.startedAt) / 1000),
      attempts: 1,
      etag: upload.etag,
      checksum: checksum ?? fallback,
      result: 'done',
      error: null,
      job: job.name,
    });
  }

  /** True when `head` is an object an earlier attempt at this same, unchanged file wrote. */
  #isOurs(head: ObjectHead, file: FileRecord, st: FileStat): Promise<boolean> {
    return writtenFromSource(head, this.deps.journal, file.path, st);
  }

  /** keep | delete | move, only after verification; never touches a file that changed since. */
  async #after(file: FileRecord, job: JobRuntime, relPath: string): Promise<void> {
    const action = job.config.after;
    if (action.action === 'keep') return;
    const st = await this.deps.fs.stat(file.path).catch(() => undefined);
    if (st === undefined) return; // already deleted or moved (a crash after the action)
    if (!sameFile(st, file))
      throw new AppError(
        'ERR_FILE_CHANGED',
        `${file.path} changed after its upload; it was not ${action.action === 'delete' ? 'deleted' : 'moved'}`,
        { hint: 'it is uploaded again once stable' },
      );
    try {
      if (action.action === 'delete') {
        await unlink(file.path);
        return;
      }
      const target = join(action.moveTo ?? '', relPath);
      await mkdir(dirname(target), { recursive: true });
      await rename(file.path, target).catch(async (err: unknown) => {
        if ((err as { code?: unknown }).code !== 'EXDEV') throw err;
        await copyFile(file.path, target);
        await unlink(file.path);
      });
    } catch (err) {
      throw fileError(err, file.path);
    }
  }

  async #fail(file: FileRecord, job: JobRuntime, err: AppError): Promise<void> {
    const { journal, clock, events } = this.deps;
    // The journal cannot record this outcome: the caller waits until it can.
    if (err.code.startsWith('ERR_JOURNAL')) throw err;
    const reason: FileReason = { code: err.code, message: err.message, hint: err.hint ?? null };
    const hold = this.#hold(file);
    const now = clock.now();
    if (err.kind === 'cancelled') {
      await journal.release(hold, now, { reason });
      return;
    }
    if (err.code === 'ERR_FILE_CHANGED') {
      await journal.resettle(hold, now, { reason });
      return;
    }
    if (err.kind === 'permanent') {
      const parked = { ...reason, hint: parkedHint(err.hint, file.id) };
      const moved = await journal.park(hold, now, {
        reason: parked,
        event: this.#event('file.parked', 'error', about(file.path, err.message), {
          path: file.path,
          data: { job: job.name, code: err.code, hint: parked.hint },
        }),
      });
      events.announce(moved.event);
      return;
    }
    const unreachable = err.code === 'ERR_S3_ENDPOINT_UNREACHABLE';
    if (err.kind === 'fatal' || unreachable) await job.destination.markUnhealthy(err);
    const delay =
      err.kind === 'fatal'
        ? 0
        : backoffDelay(file.attempts + 1, this.deps.random(), { baseMs: 5_000, capMs: 300_000 });
    const moved = await journal.defer(hold, now, {
      reason,
      notBefore: now + delay,
      event: this.#event('file.waiting', 'warn', `${file.path} waits: ${err.message}`, {
        path: file.path,
        data: { job: job.name, code: err.code, retryInMs: delay },
      }),
    });
    events.announce(moved.event);
  }
}

/**
 * The fix of a parked file: the error's own, then how to release it. A fix that changes the file
 * (its content, or its mode or owner: its ctime) queues it again at the next rescan by itself.
 */
function parkedHint(hint: string | undefined, fileId: number): string {
  const retry = `then \`s3ferry retry ${fileId}\` releases it (a rescan finds a changed file by itself)`;
  return hint === undefined || hint === '' ? `fix the file, ${retry}` : `${hint}; ${retry}`;
}

/** `PATH: message`, unless the message already starts with the path. */
function about(path: string, message: string): string {
  return message.startsWith(path) ? message : `${path}: ${message}`;
}
