/**
 * The agent's configuration after parsing, defaults and validation (deep-frozen). Durations are
 * milliseconds, sizes bytes. Produced only by config/load.ts from s3ferry.yaml < environment <
 * flags; everything else receives it (or a part of it) as an argument.
 */

import type { BandwidthTimetable } from '../domain/bandwidth-timetable.js';
import type { CannedAcl } from '../domain/object-headers.js';
import type { RetentionRule } from '../domain/retention.js';

/** Where a job's objects go and how. Secrets (keys, tokens) live only here. */
export interface DestinationConfig {
  readonly bucket: string;
  /** '' or ending in '/'. */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  readonly profile?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  readonly proxy?: string;
  readonly noProxy: readonly string[];
  /** PEM file of the CAs an HTTPS endpoint's certificate must chain to (checked readable). */
  readonly caBundle?: string;
  readonly checksumMode: 'auto' | 'when-required' | 'when-supported';
  readonly storageClass?: string;
  readonly sse?: 'AES256' | 'aws:kms';
  readonly kmsKeyId?: string;
  /** x-amz-meta-* (keys lower-cased). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Cache-Control, Content-Disposition, Content-Encoding of every object. */
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  /** Canned ACL of every object. */
  readonly acl?: CannedAcl;
  /** Write-once retention of every object (the bucket needs Object Lock). */
  readonly retention?: RetentionRule;
  /** A legal hold on every object (the bucket needs Object Lock). */
  readonly legalHold: boolean;
  readonly partSize: number;
  readonly multipartThreshold: number;
  /** Requests in flight for this destination. */
  readonly concurrency: number;
  /** Part buffers in memory at once for this destination. */
  readonly partBuffers: number;
  /** 'etag': verified by the answer's ETag where it proves the bytes; 'head': always HeadObject. */
  readonly verify: 'etag' | 'head';
  /** Inactivity timeout of one request, ms: silence this long fails it (and it is retried). */
  readonly requestTimeout: number;
  /** This destination's bandwidth limit (a rate or a weekly timetable); undefined for none. */
  readonly bwlimit?: BandwidthTimetable;
  /** For `s3ferry link`: presigned GET expiry, ms. */
  readonly linkExpiry: number;
  /** For `s3ferry link`: a public URL template like https://cdn.example.com/{key}; presigned when absent. */
  readonly publicUrl?: string;
}

/** A name or relative-path rule. Exactly one of regex/glob is set. */
export interface MatchRule {
  readonly regex?: string;
  readonly glob?: string;
  /** Match on the file name (default) or the path relative to the source directory. */
  readonly on: 'name' | 'path';
}

export interface FilterConfig {
  readonly include: readonly MatchRule[];
  readonly exclude: readonly MatchRule[];
  readonly minSize?: number;
  readonly maxSize?: number;
  /** Files younger than this (by mtime) are not taken yet, ms. */
  readonly minAge?: number;
  /** Files older than this (by mtime) are skipped, ms. */
  readonly maxAge?: number;
}

export interface SourceConfig {
  readonly path: string;
  readonly recursive: boolean;
}

export interface JobConfig {
  readonly name: string;
  readonly sources: readonly SourceConfig[];
  /** 'watch': filesystem events + periodic rescan; 'scan': periodic rescan only (network filesystems). */
  readonly mode: 'watch' | 'scan';
  readonly rescanInterval: number;
  /**
   * Symbolic links met under the sources: 'inside' takes a link only when its real path stays
   * inside one of the job's sources; 'follow' takes any; 'skip' takes none.
   */
  readonly symlinks: 'inside' | 'follow' | 'skip';
  readonly destination: DestinationConfig;
  /**
   * The name of the entry of `destinations:` the job refers to; absent for a destination written
   * in the job. Says where its settings are (`destinations.NAME` or `jobs[i].destination`), for
   * the fix of an error.
   */
  readonly destinationName?: string;
  /** Key template, e.g. '{path}' or 'backups/{hostname}/{mtime:yyyyMMdd}/{name}'. Prefix is prepended. */
  readonly key: string;
  /** A file must be unchanged (size, mtime, inode) this long before it is taken, ms. */
  readonly settle: number;
  /** Name globs never taken (default *.tmp, *.part, .~*, .*). */
  readonly ignore: readonly string[];
  /** If set, `x` is only taken once `x` + suffix exists (e.g. '.done'); the marker itself is never uploaded. */
  readonly markerSuffix?: string;
  readonly filters: FilterConfig;
  readonly overwrite: 'never' | 'if-changed' | 'always' | 'version-suffix';
  /** Retention of this job's objects, instead of its destination's. */
  readonly retention?: RetentionRule;
  /** Legal hold on this job's objects, instead of its destination's setting. */
  readonly legalHold?: boolean;
  readonly dedupe: {
    readonly enabled: boolean;
    readonly by: 'sha256' | 'md5';
    readonly action: 'skip' | 'copy';
  };
  readonly after: { readonly action: 'keep' | 'delete' | 'move'; readonly moveTo?: string };
  /** Transient errors retry forever unless this is set, ms. */
  readonly retryTimeout?: number;
  /**
   * Resume an interrupted multipart upload (true), or abort the one the agent had started for the
   * file version and send the file again from its first byte (false).
   */
  readonly resume: boolean;
  /** Start paused. */
  readonly paused: boolean;
  /**
   * Write a manifest of each window's uploads to the destination (agent/manifest-writer.ts):
   * one object per UTC day or hour; none when absent.
   */
  readonly manifest?: 'daily' | 'hourly';
}

/** The HTTP API: where it listens and who may use it. */
export interface ApiConfig {
  readonly host: string;
  readonly port: number;
  /** 'none' only on loopback (schema.ts). */
  readonly auth: 'token' | 'none';
  /** The configured token; when absent (and auth is 'token') the agent makes one in tokenFile. */
  readonly token?: string;
  /** Where a made token is kept; default in the state directory (cli/api-token.ts). */
  readonly tokenFile?: string;
  /** Host names answered besides api.host and loopback (lower case not required). */
  readonly allowedHosts: readonly string[];
  readonly metricsAuth: 'none' | 'token';
}

export interface AgentConfig {
  /** Journal file. */
  readonly journal: string;
  readonly api: ApiConfig;
  readonly log: {
    readonly level: 'debug' | 'info' | 'warn' | 'error';
    /** auto: pretty on a terminal, JSON otherwise. */
    readonly format: 'auto' | 'pretty' | 'json';
  };
  readonly events: {
    /** Events kept in the journal. */
    readonly retention: number;
    readonly webhook?: { readonly url: string; readonly headers: Readonly<Record<string, string>> };
  };
  /** How often an unhealthy destination is probed, ms. */
  readonly probeInterval: number;
  /** The agent's bandwidth limit over all its destinations; undefined for none. */
  readonly bwlimit?: BandwidthTimetable;
  /** ms a claim holds without a heartbeat (schema.ts `lease`). */
  readonly lease: number;
  readonly jobs: readonly JobConfig[];
}
