/** The report's section on how everything is measured (bench/lib/report.ts places it last). */
import { BURST_POLL_MS } from './burst-figures.js';
import { MAX_LOAD_1MIN, WANTED_LOAD_1MIN } from './load-gate.js';
import type { BenchResults } from './results.js';
import { serverCpuMethod } from './server-cpu-report.js';
import { CURL_PARALLEL } from './tools.js';
import { QUICK_SCALE } from './workloads.js';

const LOAD_METHOD = `- The load gate: before anything starts, the 1-minute load average must be at most ${MAX_LOAD_1MIN} (under ${WANTED_LOAD_1MIN} wanted: two cores shared with other work measure that work too). The bench says the load at the start and waits up to \`--load-wait\` minutes (default 10) for it to settle; if it stays higher the bench refuses to run, unless \`--ignore-load\` is given: then this report says "not usable: load X" in place of every ratio and target, and its absolute figures describe that run only. Results older than the gate are judged by the load average they recorded before the run.`;

const BURST_METHOD = `- Agent burst: the files are generated once; for each run of the agent they are hard-linked into a staging directory and renamed one by one into the watched directory of an \`s3ferry run\` started beforehand with a fresh journal (default settings but \`settle: 1s\`; this checkout's build, or with \`--baseline\` also the baseline build's agent). The clock starts at the first rename and stops at the status poll (every ${BURST_POLL_MS} ms, \`GET /api/v1/status\`: a count per state) that finds every file done; the agent's CPU is read from /proc/PID/stat at both ends (every thread), its journal write transactions from its /metrics. \`rclone copy --transfers 16 DIR rgw:BUCKET/\` of the same files runs in the same rounds (agent, baseline, rclone; again), timed as the other tools. Every run goes to a fresh bucket; one that fails the listing (count and bytes) is not counted.`;

const TLS_METHOD =
  '- W2T and W3T (`--tls`): the files of W2 and W3 sent over HTTPS to the same RGW (beast `ssl_endpoint` on 127.0.0.1:7543, a certificate from a CA the bench makes with openssl, `rgw dns name = s3.bench.test`), virtual-hosted: each bucket is reached at BUCKET.s3.bench.test. s3ferry verifies with `--ca-bundle` and resolves the names inside its process (S3FERRY_RESOLVE); rclone with `--ca-cert` and a remote with `force_path_style = false`, its names from /etc/hosts (added as root for the run, removed at its end: rclone has no option for it); curl with `cacert` and `resolve`. The AWS CLI and the baseline build do not run them.';

/** The report's last section: how everything was measured. */
export function method(r: BenchResults): string[] {
  const scale = r.scale ?? (r.quick ? QUICK_SCALE : 1);
  return [
    '## How it is measured',
    '',
    `- One command, \`npm run bench\`: builds, starts its own Ceph RGW (bluestore: object data on disk) on 127.0.0.1:7580 with its own directory and ports, generates random data in a temporary directory, runs everything, writes this file and bench/results/${scale > 1 ? 'quick' : 'benchmarks'}.json, and purges the RGW. Options: \`--quick\`, \`--scale N\`, \`--workloads W1,W3\`, \`--tools s3ferry,curl\`, \`--baseline DIR\` (another built checkout run in the same rounds), \`--s3ferry-args '...'\`, \`--rounds N\`, \`--extras burst,latency,journal,crash,profile,costs\`, \`--tls\` (W2 and W3 over HTTPS too), \`--render results.json\` (the report again from earlier results), \`--load-wait MIN\`, \`--ignore-load\`.`,
    LOAD_METHOD,
    `- Every workload: ${r.rounds} rounds, each running every tool once in turn (interleaved: A B C D E, A B C D E, ...). Every run uploads to a fresh prefix and is verified by ListObjectsV2 (object count and total bytes); a run that fails verification is not counted. Objects of the big workloads (W1, W4) are deleted after each run to bound the store's disk.`,
    '- Tools: `s3ferry upload DIR --to s3://bucket/prefix/ --endpoint-url ...` with a fresh `--journal` per run, defaults otherwise (part size 8 MiB, 16 requests in flight, 6 part buffers); `/usr/bin/aws s3 cp --recursive` (AWS CLI v2 from Debian, default settings, configured by AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE in the temporary directory); `rclone copy` with its defaults and tuned (`--transfers 16 --s3-upload-concurrency 8 --s3-chunk-size 16M`; RCLONE_CONFIG in the temporary directory).',
    `- The ceiling: \`curl -Z\` (one process) PUTting the same bytes with SigV4 and an unsigned payload, ${CURL_PARALLEL.files} files at a time; the single big file of W1 as a multipart upload of 8 MiB parts (split beforehand), ${CURL_PARALLEL.parts} parts at a time, by a small bash script (create, parts, complete).`,
    '- Wall time is measured around the process; client CPU (user + system) and max RSS come from GNU time (`/usr/bin/time -f "%e %U %S %M"`), which covers the process and every child it waited for. Max RSS is that of the largest single process of the tree; every client here is one process (the W1 ceiling runs its three curl processes one after another).',
    ...(r.workloads.some((w) => w.tls === true) ? [TLS_METHOD] : []),
    serverCpuMethod(r),
    '- MD5: before the workloads, the bench hashes 256 MiB with node:crypto three times in its own process and keeps the least CPU per GiB; every s3ferry request carries Content-MD5, so this is a floor under its client CPU per GiB (the sentence under W1).',
    ...(r.burst === undefined ? [] : [BURST_METHOD]),
    '- Ratios are of rates (objects/s for W2 and W3, MiB/s for W1 and W4): above 1 means s3ferry is faster. The best peer is the fastest of the AWS CLI and the two rclone settings.',
    '- No timing is asserted by `npm test`; the targets above are checked only here.',
  ];
}
