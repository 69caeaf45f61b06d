/**
 * The control service over a running agent's HTTP API (docs/api.md), for the CLI: each operation
 * is one request (the queue one per section), with the API token the CLI found (cli/api-token.ts).
 * The agent's error answers become AppErrors with the agent's code, so the CLI exits as the agent
 * would have; a refused token names where the token came from.
 */
import { AppError } from '../errors/app-error.js';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import type {
  EventQuery,
  EventRecord,
  FileRecord,
  HistoryQuery,
  HistoryRecord,
  Page,
  Pauses,
} from '../journal/journal-store.js';
import { pauseNote } from './control-rules.js';
import type {
  AgentStatusView,
  AgentsView,
  BackfillRequest,
  BackfillResult,
  BandwidthChange,
  BandwidthView,
  ControlService,
  ControlSource,
  LinkRequest,
  ObjectLink,
  PauseResult,
  QueueQuery,
  QueueView,
  ReportPage,
  ReportQuery,
  RetryResult,
  TransferView,
} from './control-service.js';

/** The API pages lists by at most this many rows (docs/api.md). */
export const API_MAX_LIMIT = 1000;

/** Where the agent is and how to call it. */
export interface HttpControlOptions {
  /** The API's base URL, e.g. http://127.0.0.1:7317. */
  readonly url: string;
  readonly token?: string;
  /** Where the token came from (or where the CLI looked), for the fix of a refusal. */
  readonly tokenFrom: string;
}

type Query = Readonly<Record<string, string | number | undefined>>;

/** `?a=1&b=x` of the defined values ('' when none). */
function queryString(q: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The agent's error code when it is one of ours (so the exit code is the agent's), else internal. */
function codeOf(status: number, code: string | undefined): ErrorCode {
  if (status === 401) return 'ERR_UNAUTHORIZED';
  return code !== undefined && Object.hasOwn(ERROR_CODES, code)
    ? (code as ErrorCode)
    : 'ERR_INTERNAL';
}

/** The pause switches a status answer shows. */
function pausesOf(s: AgentStatusView): Pauses {
  return { all: s.paused, jobs: s.jobs.filter((j) => j.paused).map((j) => j.name) };
}

const limit = (n: number): number => Math.min(n, API_MAX_LIMIT);

/** The control service over HTTP; see the module comment. */
export class HttpControl implements ControlService {
  readonly source: ControlSource & { readonly kind: 'agent' };

  constructor(private readonly o: HttpControlOptions) {
    this.source = { kind: 'agent', url: o.url };
  }

  async #call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.o.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(this.o.token === undefined ? {} : { authorization: `Bearer ${this.o.token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T & {
      error?: { code: string; message: string; hint?: string };
    };
    if (res.ok) return json;
    const e = json.error;
    const hint =
      res.status === 401
        ? `the CLI sent the token from ${this.o.tokenFrom}: run it as the agent's user on the agent's machine ` +
          '(it reads the token file by itself), give --config of the agent, or set S3FERRY_API_TOKEN'
        : (e?.hint ?? 'see the agent log');
    throw new AppError(
      codeOf(res.status, e?.code),
      e?.message ?? `the agent answered ${res.status}`,
      { hint },
    );
  }

  status(): Promise<AgentStatusView> {
    return this.#call('GET', '/api/v1/status');
  }

  pause(job?: string): Promise<PauseResult> {
    return this.#switch('pause', job);
  }

  resume(job?: string): Promise<PauseResult> {
    return this.#switch('resume', job);
  }

  async #switch(action: 'pause' | 'resume', job: string | undefined): Promise<PauseResult> {
    const s = await this.#call<AgentStatusView & { note?: string }>(
      'POST',
      `/api/v1/${action}`,
      job === undefined ? {} : { job },
    );
    const paused = action === 'pause';
    const pauses = pausesOf(s);
    const note = s.note ?? pauseNote(job, paused, pauses);
    return {
      ...(job === undefined ? {} : { job }),
      paused,
      pauses,
      ...(note === undefined ? {} : { note }),
    };
  }

  retry(fileId?: number): Promise<RetryResult> {
    return this.#call('POST', '/api/v1/retry', fileId === undefined ? {} : { fileId });
  }

  backfill(job: string, request: BackfillRequest): Promise<BackfillResult> {
    return this.#call('POST', '/api/v1/backfill', { job, ...request });
  }

  link(r: LinkRequest): Promise<ObjectLink> {
    const q = {
      path: r.path,
      key: r.key,
      job: r.job,
      expires: r.expiresMs,
      versionId: r.versionId,
    };
    return this.#call('GET', `/api/v1/link${queryString(q)}`);
  }

  async reload(): Promise<void> {
    await this.#call('POST', '/api/v1/config/reload', {});
  }

  async transfers(): Promise<TransferView[]> {
    return (await this.#call<{ items: TransferView[] }>('GET', '/api/v1/transfers')).items;
  }

  bwlimit(): Promise<BandwidthView> {
    return this.#call('GET', '/api/v1/bwlimit');
  }

  setBwlimit(change: BandwidthChange): Promise<BandwidthView> {
    const where = change.destination === undefined ? {} : { destination: change.destination };
    const body =
      'reset' in change
        ? { ...where, reset: true }
        : {
            ...where,
            rate: change.bytesPerSec ?? 'off',
            ...(change.forMs === undefined ? {} : { for: change.forMs }),
          };
    return this.#call('PUT', '/api/v1/bwlimit', body);
  }

  async queue(query: QueueQuery): Promise<QueueView> {
    const view: QueueView = {};
    for (const state of query.sections) {
      const q = { state, job: query.job, limit: limit(query.limit), offset: query.offset };
      view[state] = await this.#call<Page<FileRecord>>('GET', `/api/v1/queue${queryString(q)}`);
    }
    return view;
  }

  history(query: HistoryQuery): Promise<Page<HistoryRecord>> {
    const q = { ...query, limit: limit(query.limit) };
    return this.#call('GET', `/api/v1/history${queryString(q)}`);
  }

  events(query: EventQuery): Promise<Page<EventRecord>> {
    const { beforeId, ...rest } = query;
    const q = { ...rest, limit: limit(query.limit), before: beforeId };
    return this.#call('GET', `/api/v1/events${queryString(q)}`);
  }

  report(query: ReportQuery): Promise<ReportPage> {
    const q = { ...query, limit: limit(query.limit) };
    return this.#call('GET', `/api/v1/report${queryString(q)}`);
  }

  agents(): Promise<AgentsView> {
    return this.#call('GET', '/api/v1/agents');
  }

  /** A new one-time link into the dashboard: its path (under the API's URL) and expiry. */
  dashboardLink(): Promise<{ path: string; expiresAt: number | null }> {
    return this.#call('POST', '/api/v1/dashboard/link', {});
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
