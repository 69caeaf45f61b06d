/**
 * The peers' installation and configuration: rclone, GNU time and curl from Debian (installed when
 * missing, as root), Debian's AWS CLI v2, and their settings for the local endpoint in files of the
 * suite's own temporary directory, never in the user's home. Plus the machine and the versions.
 */
import { execFile } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { measureMd5SecPerGiB } from './md5-floor.js';
import { AWS_CLI, GNU_TIME, REPO_ROOT } from './paths.js';
import type { RgwInfo } from './rgw.js';
import { RCLONE_TLS_REMOTE } from './tools.js';

const run = promisify(execFile);

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function which(cmd: string): Promise<string | undefined> {
  const r = await run('bash', ['-c', `command -v ${cmd}`]).catch(() => undefined);
  const path = r?.stdout.trim();
  return path === undefined || path === '' ? undefined : path;
}

/** apt-get installs the Debian packages whose command is missing (as root; else says how). */
export async function ensurePeers(log: (line: string) => void): Promise<void> {
  const wanted: [string, string][] = [
    ['rclone', 'rclone'],
    ['curl', 'curl'],
    [GNU_TIME, 'time'],
    [AWS_CLI, 'awscli'],
  ];
  const missing: string[] = [];
  for (const [cmd, pkg] of wanted) {
    const found = cmd.startsWith('/') ? await exists(cmd) : (await which(cmd)) !== undefined;
    if (!found) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `missing ${missing.join(', ')}: as root, apt-get install -y --no-install-recommends ${missing.join(' ')}`,
    );
  log(`installing ${missing.join(', ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<unknown> =>
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  await install().catch(async () => {
    await run('apt-get', ['update', '-qq'], { env });
    await install();
  });
}

/** Environment and config files of every client process: the RGW's keys and nothing else. */
export interface ClientEnv {
  readonly env: NodeJS.ProcessEnv;
  /** rclone's remote name for the RGW (rclone.conf in the suite's directory). */
  readonly rcloneRemote: string;
}

/**
 * Writes the AWS CLI's and rclone's configuration into `dir` and returns the environment that
 * points them there. AWS_*, RCLONE_*, S3FERRY_* and proxy variables of the caller are dropped
 * (e.g. a custom AWS_CA_BUNDLE makes rclone refuse a plain-HTTP endpoint).
 */
export async function clientEnv(dir: string, rgw: RgwInfo): Promise<ClientEnv> {
  const awsConfig = join(dir, 'aws-config');
  const awsCredentials = join(dir, 'aws-credentials');
  const rcloneConfig = join(dir, 'rclone.conf');
  await writeFile(
    awsConfig,
    `[default]\nregion = ${rgw.region}\ns3 =\n  addressing_style = path\n`,
  );
  await writeFile(
    awsCredentials,
    `[default]\naws_access_key_id = ${rgw.accessKeyId}\naws_secret_access_key = ${rgw.secretAccessKey}\n`,
  );
  await writeFile(
    rcloneConfig,
    [
      '[rgw]',
      'type = s3',
      'provider = Ceph',
      `access_key_id = ${rgw.accessKeyId}`,
      `secret_access_key = ${rgw.secretAccessKey}`,
      `endpoint = ${rgw.endpoint}`,
      `region = ${rgw.region}`,
      '',
      // the same store over HTTPS, virtual-hosted (the CA comes with --ca-cert in each run)
      ...(rgw.tls === undefined
        ? []
        : [
            `[${RCLONE_TLS_REMOTE}]`,
            'type = s3',
            'provider = Ceph',
            `access_key_id = ${rgw.accessKeyId}`,
            `secret_access_key = ${rgw.secretAccessKey}`,
            `endpoint = ${rgw.tls.endpoint}`,
            `region = ${rgw.region}`,
            'force_path_style = false',
            '',
          ]),
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(AWS_|RCLONE_|S3FERRY_|S3_)/.test(k) && !/proxy/i.test(k)) env[k] = v;
  }
  return {
    rcloneRemote: 'rgw',
    env: {
      ...env,
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      AWS_REGION: rgw.region,
      AWS_CONFIG_FILE: awsConfig,
      AWS_SHARED_CREDENTIALS_FILE: awsCredentials,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      RCLONE_CONFIG: rcloneConfig,
    },
  };
}

async function firstLine(cmd: string, args: readonly string[]): Promise<string> {
  const r = await run(cmd, args).catch((err: unknown) => ({ stdout: '', stderr: String(err) }));
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memGiB: number;
  readonly disk: string;
  readonly kernel: string;
  readonly loadAvg: string;
  /** CPU seconds of one MD5 pass over a GiB here (md5-floor.ts); absent in older results. */
  readonly md5SecPerGiB?: number;
}

/** CPU model, cores, RAM, the disk under `dir` (filesystem, size, rotational) and the load. */
export async function machineInfo(dir: string): Promise<MachineInfo> {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown';
  const fs = await firstLine('findmnt', ['-n', '-o', 'SOURCE,FSTYPE', '-T', dir]);
  const dev = fs.split(/\s+/)[0] ?? '';
  const blk =
    dev === ''
      ? ''
      : await firstLine('lsblk', ['-d', '-n', '-o', 'SIZE,ROTA,MODEL', dev.replace(/\[.*$/, '')]);
  const [size, rota, ...model] = blk.split(/\s+/);
  const disk = `${fs}${size === undefined || size === '' ? '' : `, ${size}`}${rota === '0' ? ', SSD/virtual (non-rotational)' : rota === '1' ? ', rotational' : ''}${model.length > 0 && model.join(' ') !== '' ? `, ${model.join(' ')}` : ''}`;
  return {
    cpu,
    cores: os.availableParallelism(),
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    disk,
    kernel: `${os.type()} ${os.release()}`,
    loadAvg: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    md5SecPerGiB: measureMd5SecPerGiB(),
  };
}

export interface Versions {
  readonly node: string;
  readonly s3ferry: string;
  readonly aws: string;
  readonly rclone: string;
  readonly curl: string;
  readonly ceph: string;
}

/** The versions of everything measured; s3ferry's is its commit (`+dirty` with local changes). */
export async function versions(): Promise<Versions> {
  const commit = await firstLine('git', ['-C', REPO_ROOT, 'rev-parse', '--short=12', 'HEAD']);
  const dirty = await run('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no'])
    .then((r) => r.stdout.trim() !== '')
    .catch(() => false);
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return {
    node: process.version,
    s3ferry: `${pkg.version ?? '?'} (commit ${commit}${dirty ? '+dirty' : ''})`,
    aws: await firstLine(AWS_CLI, ['--version']),
    rclone: await firstLine('rclone', ['version']),
    curl: (await firstLine('curl', ['--version'])).split(' ').slice(0, 2).join(' '),
    ceph: (await firstLine('radosgw', ['--version'])).replace(/\s*\(.*$/, ''),
  };
}
