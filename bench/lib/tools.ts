/**
 * The clients compared, each as the command line of one run: s3ferry, the AWS CLI v2, rclone with
 * its defaults and tuned, and the ceiling: curl PUTs of the same bytes in parallel from one
 * process, unsigned payload (the server's ingest rate with an almost idle client).
 *
 * A TLS workload (W2T, W3T) goes to the RGW's HTTPS port with virtual-hosted names, each tool
 * verifying the bench's CA: s3ferry with --ca-bundle, its names resolved inside its process
 * (S3FERRY_RESOLVE); rclone with --ca-cert, its names from /etc/hosts (hosts-file.ts: rclone has no
 * option for it); curl with --cacert and --resolve. The AWS CLI and the baseline build sit those
 * out (the brief's ratios are to rclone and curl; an older build lacks --ca-bundle).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AWS_CLI, CLI_PATH } from './paths.js';
import type { RgwInfo, RgwTls } from './rgw.js';
import { ceilingParts, workloadDir, workloadFiles, type Workload } from './workloads.js';

export const TOOL_IDS = ['baseline', 's3ferry', 'aws', 'rclone', 'rclone-tuned', 'curl'] as const;
export type ToolId = (typeof TOOL_IDS)[number];

export const TOOL_LABELS: Record<ToolId, string> = {
  baseline: 's3ferry upload (baseline build)',
  s3ferry: 's3ferry upload',
  aws: 'aws s3 cp --recursive',
  rclone: 'rclone copy (defaults)',
  'rclone-tuned': 'rclone copy (tuned)',
  curl: 'ceiling: curl -Z',
};

/** The tools of a TLS workload. */
export const TLS_TOOLS: readonly ToolId[] = ['s3ferry', 'rclone', 'rclone-tuned', 'curl'];

/** rclone's remote for the RGW over HTTPS, virtual-hosted (environment.ts writes it). */
export const RCLONE_TLS_REMOTE = 'rgw-tls';

/** The tools of `tools` that run workload `w` (a TLS workload: those of `tlsTools` only). */
export function toolsFor(
  w: Workload,
  tools: readonly ToolId[],
  tlsTools: readonly ToolId[] = TLS_TOOLS,
): ToolId[] {
  return w.tls === true ? tools.filter((t) => tlsTools.includes(t)) : [...tools];
}

/** The peers s3ferry is compared with (the ceiling is not one). */
export const PEERS: readonly ToolId[] = ['aws', 'rclone', 'rclone-tuned'];

/** Transfers in flight in the curl ceiling: parts of one big file, or whole small files. */
export const CURL_PARALLEL = { parts: 8, files: 16 } as const;

export interface RunContext {
  readonly workload: Workload;
  readonly dataDir: string;
  /** A directory of this run only (journal, curl config, logs). */
  readonly runDir: string;
  readonly bucket: string;
  /** Ends with '/'. */
  readonly prefix: string;
  readonly rgw: RgwInfo;
  readonly rcloneRemote: string;
  /** The baseline checkout's CLI (--baseline). */
  readonly baselineCli?: string;
  /** Extra arguments of the tool `s3ferry` (--s3ferry-args). */
  readonly s3ferryArgs?: readonly string[];
}

export interface Command {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Variables of this run on top of the suite's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The RGW's HTTPS side for a TLS workload, undefined for the others. */
function tlsOf(c: RunContext): RgwTls | undefined {
  if (c.workload.tls !== true) return undefined;
  if (c.rgw.tls === undefined) throw new Error(`${c.workload.id} needs the RGW over TLS (--tls)`);
  return c.rgw.tls;
}

export async function toolCommand(tool: ToolId, c: RunContext): Promise<Command> {
  const src = workloadDir(c.workload, c.dataDir);
  const tls = tlsOf(c);
  if (tls !== undefined && !TLS_TOOLS.includes(tool))
    throw new Error(`${tool} does not run the TLS workload ${c.workload.id}`);
  switch (tool) {
    case 'baseline':
    case 's3ferry':
      if (tool === 'baseline' && c.baselineCli === undefined) throw new Error('no --baseline');
      return {
        cmd: process.execPath,
        args: [
          tool === 'baseline' ? (c.baselineCli ?? '') : CLI_PATH,
          'upload',
          src,
          '--to',
          `s3://${c.bucket}/${c.prefix}`,
          '--endpoint-url',
          tls?.endpoint ?? c.rgw.endpoint,
          ...(tls === undefined ? [] : ['--no-force-path-style', '--ca-bundle', tls.caFile]),
          '--journal',
          join(c.runDir, 'journal.db'),
          '--json',
          ...(tool === 's3ferry' ? (c.s3ferryArgs ?? []) : []),
        ],
        ...(tls === undefined ? {} : { env: { S3FERRY_RESOLVE: `${tls.dnsName}=127.0.0.1` } }),
      };
    case 'aws':
      return {
        cmd: AWS_CLI,
        args: [
          's3',
          'cp',
          '--recursive',
          '--only-show-errors',
          src,
          `s3://${c.bucket}/${c.prefix}`,
          '--endpoint-url',
          c.rgw.endpoint,
        ],
      };
    case 'rclone':
      return { cmd: 'rclone', args: ['copy', ...rcloneTls(tls), src, rcloneDest(c, tls)] };
    case 'rclone-tuned':
      return {
        cmd: 'rclone',
        args: [
          'copy',
          ...rcloneTls(tls),
          '--transfers',
          '16',
          '--s3-upload-concurrency',
          '8',
          '--s3-chunk-size',
          '16M',
          src,
          rcloneDest(c, tls),
        ],
      };
    case 'curl':
      return c.workload.ceilingPartSize === undefined ? curlPuts(c, tls) : curlMultipart(c);
  }
}

function rcloneTls(tls: RgwTls | undefined): string[] {
  return tls === undefined ? [] : ['--ca-cert', tls.caFile];
}

function rcloneDest(c: RunContext, tls: RgwTls | undefined): string {
  return `${tls === undefined ? c.rcloneRemote : RCLONE_TLS_REMOTE}:${c.bucket}/${c.prefix}`;
}

/** curl's config lines for SigV4 with an unsigned payload (as scripts/s3/start-rgw.sh signs). */
function curlAuth(rgw: RgwInfo): string[] {
  return [
    `aws-sigv4 = "aws:amz:${rgw.region}:s3"`,
    `user = "${rgw.accessKeyId}:${rgw.secretAccessKey}"`,
    'header = "x-amz-content-sha256: UNSIGNED-PAYLOAD"',
    'silent',
    'show-error',
    'no-progress-meter',
    'fail',
  ];
}

/**
 * One PUT per file, CURL_PARALLEL.files at a time, from one curl process; over TLS to the
 * bucket's own name, verified with the bench's CA, the name resolved by curl itself.
 */
async function curlPuts(c: RunContext, tls?: RgwTls): Promise<Command> {
  const src = workloadDir(c.workload, c.dataDir);
  const lines = [...curlAuth(c.rgw), 'write-out = "%{http_code}\\n"'];
  const host = tls === undefined ? '' : `${c.bucket}.${tls.dnsName}`;
  if (tls !== undefined)
    lines.push(`cacert = "${tls.caFile}"`, `resolve = "${host}:${tls.port}:127.0.0.1"`);
  const base =
    tls === undefined ? `${c.rgw.endpoint}/${c.bucket}/` : `https://${host}:${tls.port}/`;
  for (const f of workloadFiles(c.workload)) {
    lines.push(`upload-file = "${join(src, f.rel)}"`);
    lines.push(`url = "${base}${c.prefix}${f.rel}"`);
  }
  const config = join(c.runDir, 'curl.cfg');
  await writeFile(config, `${lines.join('\n')}\n`);
  return { cmd: 'curl', args: ['-Z', '--parallel-max', String(CURL_PARALLEL.files), '-K', config] };
}

/**
 * The one big file as a multipart upload: create, the parts (pre-split files) CURL_PARALLEL.parts
 * at a time, complete. A bash script, so the whole upload is one timed process tree.
 */
async function curlMultipart(c: RunContext): Promise<Command> {
  const file = workloadFiles(c.workload)[0];
  if (file === undefined) throw new Error(`${c.workload.id} has no file`);
  const url = `${c.rgw.endpoint}/${c.bucket}/${c.prefix}${file.rel}`;
  const parts = ceilingParts(c.workload, c.dataDir);
  const cfg = [...curlAuth(c.rgw), 'write-out = "%{url} %header{etag}\\n"'];
  parts.forEach((p, i) => {
    cfg.push(`upload-file = "${p.path}"`);
    cfg.push(`url = "${url}?partNumber=${i + 1}&uploadId=@UPLOAD_ID@"`);
  });
  const dir = c.runDir;
  await writeFile(join(dir, 'parts.cfg'), `${cfg.join('\n')}\n`);
  await writeFile(join(dir, 'auth.cfg'), `${curlAuth(c.rgw).join('\n')}\n`);
  const script = `set -euo pipefail
cd '${dir}'
url='${url}'
up=$(curl -K auth.cfg -X POST "$url?uploads=" | sed -n 's:.*<UploadId>\\(.*\\)</UploadId>.*:\\1:p')
[ -n "$up" ] || { echo 'no UploadId' >&2; exit 1; }
sed "s|@UPLOAD_ID@|$up|" parts.cfg > parts.run.cfg
curl -Z --parallel-max ${CURL_PARALLEL.parts} -K parts.run.cfg > etags.out
{ echo '<CompleteMultipartUpload>'
  sed -n 's|.*partNumber=\\([0-9]*\\)&.* \\("[^"]*"\\)$|<Part><PartNumber>\\1</PartNumber><ETag>\\2</ETag></Part>|p' etags.out | sort -t'>' -k3,3n
  echo '</CompleteMultipartUpload>'; } > complete.xml
[ "$(grep -c '<Part>' complete.xml)" = ${parts.length} ] || { echo 'missing part ETags' >&2; exit 1; }
curl -K auth.cfg -X POST --data-binary @complete.xml "$url?uploadId=$up" > /dev/null
`;
  await writeFile(join(dir, 'multipart.sh'), script);
  return { cmd: 'bash', args: [join(dir, 'multipart.sh')] };
}
