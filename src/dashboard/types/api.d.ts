/**
 * The agent's /api/v1 as the dashboard's JSDoc types see it, derived from openapi.d.ts (generated
 * from the OpenAPI description the agent serves: scripts/dashboard/api-types.mjs). A path is
 * relative to /api/v1, as api.js takes it ('/status').
 */
import type { paths } from './openapi';

/** The routes under /api/v1, by their path relative to it. */
type V1 = {
  [P in keyof paths as P extends `/api/v1${infer R}` ? R : never]: paths[P];
};

/** A path of the API relative to /api/v1. */
export type ApiPath = keyof V1;

/** The JSON of an operation's 200 answer. */
type Ok<O> = O extends { responses: { 200: { content: { 'application/json': infer J } } } }
  ? J
  : never;

/** The HTTP methods the dashboard uses. */
export type ApiMethod = 'GET' | 'POST';

/** The answer of `method` on `path`. */
export type ApiAnswer<P extends ApiPath, M extends ApiMethod> = Ok<
  V1[P][M extends 'GET' ? 'get' : 'post']
>;

/** The JSON body `method` on `path` takes (never for a GET). */
export type ApiBody<P extends ApiPath, M extends ApiMethod> = M extends 'POST'
  ? V1[P]['post'] extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B
    : never
  : never;

type Get<P extends ApiPath> = ApiAnswer<P, 'GET'>;

export type Status = Get<'/status'>;
export type StatusJob = Status['jobs'][number];
export type Job = Get<'/jobs'>['items'][number];
export type Source = Job['sources'][number];
export type Health = Job['health'];
export type Destination = Get<'/destinations'>['items'][number];
export type Transfer = Get<'/transfers'>['items'][number];
export type Fleet = Get<'/agents'>;
export type AgentItem = Fleet['items'][number];
export type FileRecord = Get<'/queue'>['items'][number];
export type FileReason = NonNullable<FileRecord['reason']>;
export type HistoryRecord = Get<'/history'>['items'][number];
export type EventRecord = Get<'/events'>['items'][number];
export type BrowseAnswer = Get<'/browse'>;
export type BrowseEntry = BrowseAnswer['entries'][number];
export type BackfillAnswer = ApiAnswer<'/backfill', 'POST'>;
export type PauseAnswer = ApiAnswer<'/pause', 'POST'>;
export type Stats = Get<'/stats'>;
export type JobStats = Stats['jobs'][number];
export type ThroughputStats = Stats['total'];
export type Eta = ThroughputStats['eta'];
export type FailureGroup = Get<'/failures'>['items'][number];
export type Link = Get<'/link'>;
export type Bandwidth = Get<'/bwlimit'>;
export type BandwidthLimit = Bandwidth['agent'];
