/**
 * The clients compared, each as the command line of one run: s3ferry, the AWS CLI v2, rclone with
 * its defaults and tuned, and the ceiling: curl PUTs of the same bytes in parallel from one
 * process, unsigned payload (the server's ingest rate with an almost idle client).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AWS_CLI, CLI_PATH } from './paths.js';
import type { RgwInfo } from './rgw.js';
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
}

export async function toolCommand(tool: ToolId, c: RunContext): Promise<Command> {
  const src = workloadDir(c.workload, c.dataDir);
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
          c.rgw.endpoint,
          '--journal',
          join(c.runDir, 'journal.db'),
          '--json',
          ...(tool === 's3ferry' ? (c.s3ferryArgs ?? []) : []),
        ],
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
      return { cmd: 'rclone', args: ['copy', src, `${c.rcloneRemote}:${c.bucket}/${c.prefix}`] };
    case 'rclone-tuned':
      return {
        cmd: 'rclone',
        args: [
          'copy',
          '--transfers',
          '16',
          '--s3-upload-concurrency',
          '8',
          '--s3-chunk-size',
          '16M',
          src,
          `${c.rcloneRemote}:${c.bucket}/${c.prefix}`,
        ],
      };
    case 'curl':
      return c.workload.ceilingPartSize === undefined ? curlPuts(c) : curlMultipart(c);
  }
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

/** One PUT per file, CURL_PARALLEL.files at a time, from one curl process. */
async function curlPuts(c: RunContext): Promise<Command> {
  const src = workloadDir(c.workload, c.dataDir);
  const lines = [...curlAuth(c.rgw), 'write-out = "%{http_code}\\n"'];
  for (const f of workloadFiles(c.workload)) {
    lines.push(`upload-file = "${join(src, f.rel)}"`);
    lines.push(`url = "${c.rgw.endpoint}/${c.bucket}/${c.prefix}${f.rel}"`);
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
