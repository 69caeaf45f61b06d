#!/usr/bin/env node
// run-tests.mjs - `npm test` (after `tsc -b`): starts the real S3 servers the tests talk to, then runs
// `node --test` over the compiled test files.
//
//   npm test                                   all dist/test/**/*.test.js
//   npm test -- dist/test/e2e/foo.test.js      only that file (also: test/e2e/foo.test.ts, a folder,
//                                              or any part of a path, e.g. `npm test -- e2e/foo`)
//   npm test -- --test-name-pattern=resume     arguments starting with '-' go to `node --test`
//
// Servers (all on 127.0.0.1):
//   Ceph RGW  always: scripts/s3/start-rgw.sh, RGW_DIR=/tmp/s3ferry-rgw-test, RGW_PORT=7480 (both
//             overridable); exported to the tests as S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY/S3_REGION.
//   Swift     when CI is set or S3FERRY_TEST_SWIFT=1: scripts/s3/start-swift.sh, port 8080, exported as
//             SWIFT_S3_ENDPOINT/SWIFT_S3_ACCESS_KEY/SWIFT_S3_SECRET_KEY/SWIFT_S3_REGION.
//   RGW over TLS when a test asks for it (test/support/s3-server.ts tlsRgwServer()): a cluster of its
//             own, TLS_RGW_DIR=/tmp/s3ferry-rgw-tls-test, HTTP 7482, HTTPS 7443 with virtual-hosted
//             names (rgw dns name s3.test) and a CA made with openssl.
//   PostgreSQL always: scripts/pg/start-postgres.sh, PG_DIR=/tmp/s3ferry-pg-test, PG_PORT=7432 (both
//             overridable); exported as PG_URL (role s3ferry, may CREATE DATABASE), PG_DIR, PG_BIN.
// They are left running for fast reruns, except under CI (then stop-rgw.sh --purge of both RGWs,
// stop-swift.sh, stop-postgres.sh --purge).
// Other runtimes (scripts/test/other-runtimes.mjs): a run of every test file (no filter) then runs a
// subset on Node 22 and 24 from their own copy of node_modules, their better-sqlite3 built for
// each; they are made ready while the servers start. S3FERRY_TEST_RUNTIMES=22,24 (or 22, a full
// version such as 24.21.0, or none) chooses them, and with filters runs the chosen files on them
// too; `--runtimes-only` skips the run on the current Node (`npm run test:runtimes`).
// Browser tests (dist/test/e2e/dashboard-*.test.js, security-{secrets,rebinding,token}.test.js) need
// /usr/bin/chromium: when any is selected, scripts/test/ensure-chromium.sh installs it first
// (apt-get, as root) or says how.
// Exits with node --test's exit code.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareRuntime, RUNTIMES, SUBSET, SUBSET_EXCLUDED } from './other-runtimes.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST_TEST = path.join(ROOT, 'dist', 'test');
const START_TIMEOUT_MS = 15 * 60_000; // a first run on a clean machine apt-get installs Ceph/Swift/PG

const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
const CI = truthy(process.env.CI);
const WITH_SWIFT = CI || process.env.S3FERRY_TEST_SWIFT === '1';
const RGW_DIR = process.env.RGW_DIR || '/tmp/s3ferry-rgw-test';
const RGW_PORT = process.env.RGW_PORT || '7480';
const TLS_RGW_DIR = process.env.TLS_RGW_DIR || '/tmp/s3ferry-rgw-tls-test';
const SWIFT_DIR = process.env.SWIFT_DIR || '/tmp/s3ferry-swift-test';
const SWIFT_PORT = process.env.SWIFT_PORT || '8080';
const PG_DIR = process.env.PG_DIR || '/tmp/s3ferry-pg-test';
const PG_PORT = process.env.PG_PORT || '7432';

const say = (msg) => process.stderr.write(`run-tests: ${msg}\n`);

// ---------- test files ----------

function walk(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

/** dist/test/**\/*.test.js whose source test/**\/*.test.ts still exists (tsc -b never deletes outputs). */
function allTestFiles() {
  const files = [];
  for (const file of walk(DIST_TEST).sort()) {
    const source = path.join(ROOT, 'test', path.relative(DIST_TEST, file)).replace(/\.js$/, '.ts');
    if (existsSync(source)) files.push(file);
    else
      say(
        `skipping ${path.relative(ROOT, file)}: its source ${path.relative(ROOT, source)} is gone`,
      );
  }
  return files;
}

/** Maps one filter argument to test files: a file, a folder, a .ts source, or part of a path. */
function select(arg, all) {
  const bases = [process.env.INIT_CWD || process.cwd(), ROOT];
  const candidates = [];
  for (const base of bases) {
    const abs = path.resolve(base, arg);
    candidates.push(abs);
    const rel = path.relative(ROOT, abs);
    if (rel.startsWith(`test${path.sep}`) && rel.endsWith('.ts')) {
      candidates.push(path.join(ROOT, 'dist', rel.replace(/\.ts$/, '.js')));
    }
  }
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    if (statSync(c).isDirectory()) return all.filter((f) => f.startsWith(c + path.sep));
    if (c.endsWith('.js')) return [c];
  }
  const needle = arg.replace(/\.ts$/, '').replace(/\.js$/, '');
  return all.filter((f) => path.relative(ROOT, f).includes(needle));
}

// ---------- servers ----------

/**
 * The scripts read S3_ACCESS_KEY, PG_USER etc. as the keys and roles to create: never hand them the
 * caller's.
 */
function scriptEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const key of [
    'S3_ENDPOINT',
    'S3_ACCESS_KEY',
    'S3_SECRET_KEY',
    'S3_REGION',
    'S3_BUCKET',
    'PG_URL',
    'PG_USER',
    'PG_PASSWORD',
    'PG_BIN',
  ])
    delete env[key];
  return env;
}

/** Runs scripts/<script> (e.g. 's3/start-rgw.sh'). */
function runScript(script, args, env) {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', script), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      // show the scripts' own progress lines live (installing, ready after N s); keep the rest for errors
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines)
        if (/^\[start-(rgw|swift|postgres) /.test(line) && !/ERROR:/.test(line)) say(line);
    });
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${START_TIMEOUT_MS / 1000} s)\n`;
      child.kill('SIGKILL');
    }, START_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}\n${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? `signal ${signal}`, stdout, stderr });
    });
  });
}

function parseInfo(stdout) {
  const vars = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

function logTails(dir) {
  const logDir = path.join(dir, 'log');
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => {
      const text = readFileSync(path.join(logDir, f), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-15)
        .join('\n');
      return `--- tail ${path.join(logDir, f)}\n${text}`;
    })
    .join('\n');
}

/**
 * Runs a start script; resolves its KEY=VALUE output, or undefined (after saying why) when it failed
 * or printed none of `required`.
 */
async function startServer(label, script, env, dir, required) {
  const t0 = Date.now();
  const r = await runScript(script, [], env);
  const info = parseInfo(r.stdout);
  if (r.code !== 0 || required.some((key) => !info[key])) {
    // the tail of the script's output (its die() appends the daemons' log tails), else of the logs,
    // then one clear line last, where a CI log is read from
    const lines = r.stderr.trimEnd().split('\n');
    const reason = lines.find((l) => /\] ERROR: /.test(l))?.replace(/^.*\] ERROR: /, '');
    const tail = r.stderr.includes('--- tail')
      ? lines.slice(-60).join('\n')
      : `${lines.slice(-20).join('\n')}\n${logTails(dir)}`;
    process.stderr.write(`${tail.trim() || '(no output)'}\n`);
    say(
      `ERROR: ${label} failed to start: ${reason ?? `scripts/${script} exited ${r.code}`} ` +
        `(scripts/${script}, logs in ${dir}/log; its output and log tails are above)`,
    );
    return undefined;
  }
  const where = info.S3_ENDPOINT ?? `127.0.0.1:${info.PG_PORT}`;
  say(`${label} ready at ${where} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return info;
}

const S3_INFO = ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'];

async function stopServers() {
  await runScript('s3/stop-rgw.sh', ['--purge'], scriptEnv({ RGW_DIR }));
  // the TLS RGW that test/support/s3-server.ts tlsRgwServer() starts when a test asks for it
  await runScript('s3/stop-rgw.sh', ['--purge'], scriptEnv({ RGW_DIR: TLS_RGW_DIR }));
  if (WITH_SWIFT) await runScript('s3/stop-swift.sh', [], scriptEnv({ SWIFT_DIR }));
  await runScript('pg/stop-postgres.sh', ['--purge'], scriptEnv({ PG_DIR }));
}

// ---------- browser ----------

/** The dashboard's browser tests (and the security tests' rendered dashboard and hostile pages) drive Debian's chromium. */
const BROWSER_TEST =
  /^(dashboard-.*|security-secrets|security-rebinding|security-token)\.test\.js$/;

/** scripts/test/ensure-chromium.sh: installs chromium with apt-get when missing (as root). */
function ensureChromium() {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'test', 'ensure-chromium.sh')], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      for (const line of d.split('\n')) if (/^\[ensure-chromium\] (?!ERROR)/.test(line)) say(line);
    });
    child.on('error', (err) => resolve({ code: -1, stderr: `${stderr}\n${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? `signal ${signal}`, stderr }));
  });
}

// ---------- main ----------

/** The other runtimes this run uses (see the header). */
function otherRuntimes(filtered, runtimesOnly) {
  const chosen = process.env.S3FERRY_TEST_RUNTIMES;
  if (chosen === undefined) return filtered && !runtimesOnly ? [] : RUNTIMES;
  const named = chosen.split(',').map((m) => m.trim());
  if (named.includes('none')) return [];
  return named.map((m) => {
    // a full version (e.g. 24.21.0) is taken as it is: the `node` package of that version
    if (/^\d+\.\d+\.\d+$/.test(m)) return { major: m.split('.')[0], version: m };
    const pinned = RUNTIMES.find((r) => r.major === m);
    if (pinned === undefined)
      throw new Error(
        `S3FERRY_TEST_RUNTIMES names ${m}: use ${RUNTIMES.map((r) => r.major).join(', ')}, a full version (24.21.0) or none`,
      );
    return pinned;
  });
}

/** Runs `node --test` with `bin` over `files` in `cwd`; resolves its exit code. */
async function runNodeTest(bin, cwd, files, nodeArgs, env) {
  const args = ['--test', '--test-concurrency=2', '--test-timeout=600000', ...nodeArgs, ...files];
  const child = spawn(bin, args, { cwd, env, stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise((resolve) => {
    child.on('error', (err) => {
      say(`ERROR: could not run ${bin} --test: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (c, signal) => resolve(c ?? 128 + (constants.signals[signal] ?? 0)));
  });
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  return code;
}

/** Runs `files` (dist/test paths of this project) on a prepared runtime, from its own tree. */
async function runOnRuntime(runtime, files, nodeArgs, env) {
  const inTree = files.map((f) => path.join(runtime.tree, path.relative(ROOT, f)));
  say(`node ${runtime.version}: node --test over ${inTree.length} file(s) from ${runtime.tree}`);
  const t0 = Date.now();
  const code = await runNodeTest(runtime.bin, runtime.tree, inTree, nodeArgs, env);
  return {
    label: `node ${runtime.version}`,
    files: files.length,
    code,
    seconds: (Date.now() - t0) / 1000,
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const runtimesOnly = argv.includes('--runtimes-only');
  const nodeArgs = argv.filter((a) => a.startsWith('-') && a !== '--runtimes-only');
  const filters = argv.filter((a) => !a.startsWith('-'));

  const all = allTestFiles();
  let files = all;
  if (filters.length > 0) {
    const chosen = new Set();
    for (const f of filters) {
      const matched = select(f, all);
      if (matched.length === 0) {
        say(`ERROR: no test file matches '${f}' (compiled tests live in dist/test/**/*.test.js)`);
        return 1;
      }
      for (const m of matched) chosen.add(m);
    }
    files = [...chosen];
  }
  if (files.length === 0) {
    say('ERROR: no test files in dist/test (did `tsc -b` run?)');
    return 1;
  }
  let others;
  try {
    others = otherRuntimes(filters.length > 0, runtimesOnly);
  } catch (err) {
    say(`ERROR: ${err.message}`);
    return 1;
  }
  const othersFiles =
    filters.length > 0
      ? files
      : [...new Set(SUBSET.flatMap((f) => select(f, all)))].filter(
          (f) => !SUBSET_EXCLUDED.some((start) => path.relative(DIST_TEST, f).startsWith(start)),
        );
  if (runtimesOnly) files = othersFiles;
  // made ready (download, node-gyp) while the servers start: mostly waiting on apt-get under CI
  const preparing = Promise.all(
    others.map((r) =>
      prepareRuntime(ROOT, r).then(
        (ready) => {
          say(
            `node ${ready.version} ready in ${ready.seconds.toFixed(1)} s${ready.built ? ' (better-sqlite3 built for it)' : ''}`,
          );
          return ready;
        },
        (err) => {
          say(`ERROR: node ${r.version} could not be made ready: ${err.message}`);
          return undefined;
        },
      ),
    ),
  );

  if (files.some((f) => BROWSER_TEST.test(path.basename(f)))) {
    const chromium = await ensureChromium();
    if (chromium.code !== 0) {
      process.stderr.write(chromium.stderr);
      say(
        `ERROR: chromium for the browser tests is missing (scripts/test/ensure-chromium.sh exited ${chromium.code})`,
      );
      return 1;
    }
  }

  const [rgw, swift, pg] = await Promise.all([
    startServer('Ceph RGW', 's3/start-rgw.sh', scriptEnv({ RGW_DIR, RGW_PORT }), RGW_DIR, S3_INFO),
    WITH_SWIFT
      ? startServer(
          'Swift s3api',
          's3/start-swift.sh',
          scriptEnv({ SWIFT_DIR, SWIFT_PORT }),
          SWIFT_DIR,
          S3_INFO,
        )
      : Promise.resolve(null),
    startServer('PostgreSQL', 'pg/start-postgres.sh', scriptEnv({ PG_DIR, PG_PORT }), PG_DIR, [
      'PG_URL',
      'PG_BIN',
    ]),
  ]);
  if (rgw === undefined || swift === undefined || pg === undefined) {
    await preparing;
    if (CI) await stopServers();
    return 1;
  }

  const env = { ...process.env };
  env.S3_ENDPOINT = rgw.S3_ENDPOINT;
  env.S3_ACCESS_KEY = rgw.S3_ACCESS_KEY;
  env.S3_SECRET_KEY = rgw.S3_SECRET_KEY;
  env.S3_REGION = rgw.S3_REGION || 'us-east-1';
  env.RGW_DIR = RGW_DIR;
  env.RGW_PORT = RGW_PORT;
  env.PG_URL = pg.PG_URL;
  env.PG_DIR = PG_DIR;
  env.PG_PORT = PG_PORT;
  env.PG_BIN = pg.PG_BIN;
  for (const key of [
    'SWIFT_S3_ENDPOINT',
    'SWIFT_S3_ACCESS_KEY',
    'SWIFT_S3_SECRET_KEY',
    'SWIFT_S3_REGION',
  ])
    delete env[key];
  if (swift) {
    env.SWIFT_S3_ENDPOINT = swift.S3_ENDPOINT;
    env.SWIFT_S3_ACCESS_KEY = swift.S3_ACCESS_KEY;
    env.SWIFT_S3_SECRET_KEY = swift.S3_SECRET_KEY;
    env.SWIFT_S3_REGION = swift.S3_REGION || 'us-east-1';
  }

  const results = [];
  if (!runtimesOnly) {
    say(`node --test over ${files.length} file(s)`);
    const t0 = Date.now();
    const code = await runNodeTest(process.execPath, ROOT, files, nodeArgs, env);
    results.push({
      label: `node ${process.versions.node}`,
      files: files.length,
      code,
      seconds: (Date.now() - t0) / 1000,
    });
  }
  const ready = await preparing;
  for (const runtime of ready)
    if (runtime !== undefined)
      results.push(await runOnRuntime(runtime, othersFiles, nodeArgs, env));

  if (CI) await stopServers();
  for (const r of results)
    say(
      `${r.label}: ${r.files} file(s) in ${r.seconds.toFixed(1)} s, ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`}`,
    );
  if (ready.includes(undefined)) return 1;
  return results.find((r) => r.code !== 0)?.code ?? 0;
}

process.exitCode = await main();
