/**
 * What the crashes cost, from the fault proxy's log of every request the agents sent.
 *
 * A unit is what must reach the store once: a whole object (PutObject) or one part of a key's
 * multipart upload (UploadPart; same key and part number, whatever the UploadId). For each unit,
 * the last send the store accepted and the agent received the answer to is the useful one; every
 * other send of it is waste, whether cut by the kill or accepted but unknown to the journal and
 * sent again. A wasted send is charged to its own agent session, and so to the crash that ended
 * that session. The promise checked: per crash, the waste is at most the requests that were in
 * flight when it struck (at most `concurrency` of them, each at most a part size).
 */
import { isProbeKey } from '../../../src/domain/capabilities.js';
import type { ProxyLogEntry } from '../fault-proxy.js';

export interface CrashCost {
  /** The session the crash ended. */
  readonly session: number;
  /** Requests whose bytes were wasted (cut by the kill, or sent again afterwards). */
  readonly requests: number;
  readonly bytes: number;
}

export interface Accounting {
  /** Body bytes of every PutObject and UploadPart the store received, all sessions. */
  readonly bytesSent: number;
  /** bytesSent minus one useful copy of every unit. */
  readonly bytesResent: number;
  /** Per killed session that wasted anything. */
  readonly perCrash: readonly CrashCost[];
  /** Waste in sessions that were not killed (should be none without faults). */
  readonly unexplained: readonly ProxyLogEntry[];
  /** Killed sessions with at least one upload request cut by the kill. */
  readonly crashesMidUpload: number;
}

/** A request carrying a file's bytes (the capability probe's scratch objects are not files). */
const isData = (e: ProxyLogEntry): boolean =>
  (e.operation === 'PutObject' || e.operation === 'UploadPart') && !isProbeKey(e.key);

const useful = (e: ProxyLogEntry): boolean =>
  e.delivered && e.status !== undefined && e.status >= 200 && e.status < 300;

/** Accounts the data requests of `log`; `killed` holds the sessions that ended with a SIGKILL. */
export function accountResends(
  log: readonly ProxyLogEntry[],
  killed: ReadonlySet<number>,
): Accounting {
  const units = new Map<string, ProxyLogEntry[]>();
  let bytesSent = 0;
  for (const e of log) {
    if (!isData(e)) continue;
    bytesSent += e.requestBytes;
    const unit = `${e.key}\u0000${e.partNumber ?? 0}`;
    const sends = units.get(unit) ?? [];
    sends.push(e);
    units.set(unit, sends);
  }
  const perSession = new Map<number, { requests: number; bytes: number }>();
  const unexplained: ProxyLogEntry[] = [];
  let bytesResent = 0;
  for (const sends of units.values()) {
    const last = [...sends].reverse().find(useful);
    for (const e of sends) {
      if (e === last) continue;
      bytesResent += e.requestBytes;
      if (!killed.has(e.session)) {
        unexplained.push(e);
        continue;
      }
      const cost = perSession.get(e.session) ?? { requests: 0, bytes: 0 };
      cost.requests += 1;
      cost.bytes += e.requestBytes;
      perSession.set(e.session, cost);
    }
  }
  const cut = new Set(
    log.filter((e) => isData(e) && e.clientGone && killed.has(e.session)).map((e) => e.session),
  );
  return {
    bytesSent,
    bytesResent,
    perCrash: [...perSession.entries()]
      .map(([session, c]) => ({ session, ...c }))
      .sort((a, b) => a.session - b.session),
    unexplained,
    crashesMidUpload: cut.size,
  };
}
