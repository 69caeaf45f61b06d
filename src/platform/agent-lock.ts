/**
 * One agent per SQLite journal: a lock file next to the journal names the agent that owns it
 * (pid, host). A second agent on the same journal is refused with ERR_JOURNAL_LOCKED, since two
 * agents would claim and upload the same files (a fleet shares a PostgreSQL journal instead).
 *
 * The file is created with O_EXCL (and mode 0600), so of two agents starting at once exactly one wins. A lock left
 * by a dead agent (SIGKILL, power loss) is taken over: on the same host, its pid no longer runs a
 * node process. A lock of another host is never taken over: it cannot be checked from here.
 *
 * Once the agent's API listens, the lock names its address too ({@link AgentLock.announceApi}):
 * the CLI finds the agent that holds a journal through it, whatever port it listens on.
 */
import { readFileSync, renameSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { ensurePrivateDir, writePrivateFileExclusive } from './private-files.js';

/** Who holds the lock. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: number;
  /** Where its API listens, as a client of this machine reaches it; absent until it listens. */
  readonly apiUrl?: string;
}

/** A held lock; release() removes the file if it is still ours. */
export interface AgentLock {
  readonly path: string;
  /** Writes the API's address into the lock (atomically: the lock never disappears meanwhile). */
  announceApi(url: string): void;
  release(): void;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return undefined;
    return {
      pid: parsed.pid,
      hostname: parsed.hostname,
      startedAt: parsed.startedAt ?? 0,
      ...(typeof parsed.apiUrl === 'string' ? { apiUrl: parsed.apiUrl } : {}),
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    return undefined; // torn by a crash while it was written: nobody holds it
  }
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when `pid` runs a node process on this host (a reused pid of another program is not). */
function runsNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|s3ferry/.test(cmdline);
  } catch {
    return true; // no /proc: the pid runs, assume it is the agent
  }
}

function lockedError(path: string, journal: string, owner: LockOwner, here: string): AppError {
  const where = owner.hostname === here ? '' : ` on host ${owner.hostname}`;
  const since = owner.startedAt > 0 ? ` since ${new Date(owner.startedAt).toISOString()}` : '';
  return new AppError(
    'ERR_JOURNAL_LOCKED',
    `another s3ferry agent (pid ${owner.pid}${where}${since}) runs on the journal ${journal}`,
    {
      hint:
        owner.hostname === here
          ? 'stop that agent first, or give this one its own journal (--journal); ' +
            'agents that share work share a PostgreSQL journal (journal: postgres://…)'
          : `if no agent runs on ${owner.hostname} any more, delete ${path}`,
      details: { lockFile: path, pid: owner.pid, hostname: owner.hostname },
    },
  );
}

/** Takes the lock of `journal` for this process, or throws ERR_JOURNAL_LOCKED. */
export function acquireAgentLock(
  journal: string,
  me: { pid: number; hostname: string; now: number },
): AgentLock {
  const path = `${journal}.agent-lock`;
  const mine: LockOwner = { pid: me.pid, hostname: me.hostname, startedAt: me.now };
  const content = `${JSON.stringify(mine)}\n`;
  // Taken before the journal is opened, which creates its directory: a first run creates it here,
  // 0700 like the journal's own files (platform/private-files.ts).
  try {
    ensurePrivateDir(dirname(path));
  } catch (err) {
    throw new AppError('ERR_JOURNAL', `cannot create the journal directory ${dirname(path)}`, {
      hint: 'check that the journal directory can be created (permissions, a file in its place)',
      cause: err,
    });
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writePrivateFileExclusive(path, content);
      return {
        path,
        announceApi: (url) => {
          const next = `${path}.${process.pid}.tmp`;
          removeIfThere(next); // left by a crash of an earlier run with the same pid
          writePrivateFileExclusive(next, `${JSON.stringify({ ...mine, apiUrl: url })}\n`);
          renameSync(next, path);
        },
        release: () => {
          const holder = (() => {
            try {
              return readOwner(path);
            } catch {
              return undefined;
            }
          })();
          if (holder?.pid === me.pid && holder.hostname === me.hostname) unlinkSync(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('ERR_JOURNAL', `cannot create the agent lock ${path}: ${String(err)}`, {
          hint: 'check that the journal directory is writable',
          cause: err,
        });
      }
    }
    let holder: LockOwner | undefined;
    try {
      holder = readOwner(path);
    } catch {
      continue; // removed meanwhile: try again
    }
    if (holder !== undefined) {
      if (holder.hostname !== me.hostname) throw lockedError(path, journal, holder, me.hostname);
      if (holder.pid !== me.pid && runsNode(holder.pid))
        throw lockedError(path, journal, holder, me.hostname);
    }
    // A dead agent's lock (or a torn one): take it over.
    removeIfThere(path);
  }
  throw new AppError('ERR_JOURNAL_LOCKED', `could not take the agent lock ${path}`, {
    hint: 'another agent is starting on the same journal at this moment: start only one',
  });
}

/** The agent that holds a journal's lock, as the lock file names it. */
export interface LockHolder extends LockOwner {
  /** True when it runs (on this host, a node process with its pid); unknown on another host. */
  readonly alive: boolean | undefined;
}

/**
 * Who holds the lock of `journal`, read without taking it; undefined when nobody does (no lock
 * file, or a torn one). `here` is this host's name.
 */
export function readAgentLock(journal: string, here: string): LockHolder | undefined {
  let owner: LockOwner | undefined;
  try {
    owner = readOwner(`${journal}.agent-lock`);
  } catch {
    return undefined;
  }
  if (owner === undefined) return undefined;
  return { ...owner, alive: owner.hostname === here ? runsNode(owner.pid) : undefined };
}
