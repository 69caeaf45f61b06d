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
import type {
  FileRecord,
  HistoryRecord,
  JournalStore,
  UploadRecord,
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
   * Processes a file claimed from the journal (state 'uploading'). Never throws but on journal
   * failure (ERR_JOURNAL*): then the file's outcome could not be recorded and it is still
   * 'uploading'; the caller puts it back in the queue once the journal can be written.
   */
  async process(file: FileRecord, job: JobRuntime, signal: AbortSignal): Promise<void> {
    try {
      await this.#run(file, job, signal);
    } catch (raw) {
      await this.#fail(file, job, toAppError(raw));
    }
  }

  async #run(file: FileRecord, job: JobRuntime, signal: AbortSignal): Promise<void> {
    const { journal, clock, events } = this.deps;
    const st = await this.deps.fs.stat(file.path).catch((err: unknown) => {
      if (isAppError(err, 'ERR_FILE_NOT_FOUND')) return undefined;
      throw err;
    });
    if (st === undefined && file.state === 'verifying') {
      await this.#finishTakenOver(file, job);
      return;
    }
    if (st === undefined) {
      await journal.setFileState(file.id, 'cancelled', clock.now(), {
        reason: 'the file was deleted or moved before its upload',
      });
      await events.emit('file.cancelled', 'warn', `${file.path} vanished before its upload`, {
        path: file.path,
      });
      return;
    }
    if (!sameFile(st, file)) {
      // Still being written: the source reports it again once it is stable.
      await journal.setFileState(file.id, 'settling', clock.now(), {
        reason: 'changed since it was queued',
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
    await journal.setFileState(file.id, 'verifying', clock.now());
    await this.#after(file, job, where.relPath);
    await journal.setFileState(file.id, 'done', clock.now());
    await events.emit(
      'file.done',
      'info',
      `${file.path} is in s3://${dest.target.bucket}/${finalKey}`,
      {
        path: file.path,
        key: finalKey,
        // what was sent: a file that grew before its upload restarted went up whole
        data: { job: job.name, size, alreadyUploaded: already },
      },
    );
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

  async #skipped(file: FileRecord, key: string, reason: string): Promise<void> {
    await this.deps.journal.setFileState(file.id, 'skipped', this.deps.clock.now(), { reason });
    await this.deps.events.emit('file.skipped', 'info', `${file.path}: ${reason}`, {
      path: file.path,
      key,
    });
  }

  /**
   * A file taken over in 'verifying' whose source is gone (from a dead agent of a fleet, or from this
   * agent's previous run: Agent #reclaim): its holder had uploaded and verified the
   * object, then stopped after the after-action (delete, move) and before recording 'done'.
   */
  async #finishTakenOver(file: FileRecord, job: JobRuntime): Promise<void> {
    const { journal, clock, events } = this.deps;
    const [last] = await journal.listHistory({ limit: 1, sourcePath: file.path });
    await journal.setFileState(file.id, 'done', clock.now(), { reason: null });
    const where = last === undefined ? '' : ` is in s3://${last.bucket}/${last.key}`;
    await events.emit(
      'file.done',
      'info',
      `${file.path}${where}: uploaded and verified by an agent that stopped before recording it (the source was moved or deleted after the upload)`,
      {
        path: file.path,
        ...(last === undefined ? {} : { key: last.key }),
        data: { job: job.name, takenOver: true },
      },
    );
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
          ledger: journal,
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
      await journal.setFileState(file.id, 'skipped', clock.now(), {
        reason: `same content as ${where} (${f.checksum})`,
      });
      await events.emit('file.skipped', 'info', `${file.path}: same content as ${where}`, {
        path: file.path,
        key: dup.key,
        data: { checksum: f.checksum },
      });
      await this.#after(file, job, f.relPath);
      return;
    }
    const choice = await chooseKey(target, f.key, job.config.overwrite, f.size, f.sha256, signal);
    if (choice.kind === 'skip') {
      await journal.setFileState(file.id, 'skipped', clock.now(), { reason: choice.reason });
      await events.emit('file.skipped', 'info', `${file.path}: ${choice.reason}`, {
        path: file.path,
        key: f.key,
      });
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
    await journal.setFileState(file.id, 'verifying', clock.now());
    await this.#after(file, job, f.relPath);
    await journal.setFileState(file.id, 'done', clock.now());
    await events.emit(
      'file.done',
      'info',
      `${file.path}: copied server-side from ${where} to s3://${target.bucket}/${choice.key}`,
      {
        path: file.path,
        key: choice.key,
        data: { job: job.name, size: f.size, copiedFrom: dup.key },
      },
    );
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
    const reason = `${err.code}: ${err.message}${err.hint ? ` (fix: ${err.hint})` : ''}`;
    const now = clock.now();
    if (err.kind === 'cancelled') {
      await journal.setFileState(file.id, 'queued', now);
      return;
    }
    if (err.code === 'ERR_FILE_CHANGED') {
      await journal.setFileState(file.id, 'settling', now, { reason });
      return;
    }
    if (err.kind === 'permanent') {
      await journal.setFileState(file.id, 'parked', now, { reason, countAttempt: true });
      await events.emit('file.parked', 'error', about(file.path, err.message), {
        path: file.path,
        data: { job: job.name, code: err.code, hint: err.hint ?? null },
      });
      return;
    }
    const unreachable = err.code === 'ERR_S3_ENDPOINT_UNREACHABLE';
    if (err.kind === 'fatal' || unreachable) await job.destination.markUnhealthy(err);
    const delay =
      err.kind === 'fatal'
        ? 0
        : backoffDelay(file.attempts + 1, this.deps.random(), { baseMs: 5_000, capMs: 300_000 });
    await journal.setFileState(file.id, 'waiting', now, {
      reason,
      notBefore: now + delay,
      countAttempt: true,
    });
    await events.emit('file.waiting', 'warn', `${file.path} waits: ${err.message}`, {
      path: file.path,
      data: { job: job.name, code: err.code, retryInMs: delay },
    });
  }
}

/** `PATH: message`, unless the message already starts with the path. */
function about(path: string, message: string): string {
  return message.startsWith(path) ? message : `${path}: ${message}`;
}
