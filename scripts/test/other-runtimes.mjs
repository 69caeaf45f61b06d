// other-runtimes.mjs - Node 22 and 24 beside the Node 20 that runs `npm test` (used by run-tests.mjs).
//
// The AWS SDK drops Node 20 in its releases after January 2027, so s3ferry must keep working on 22
// and 24 as well. The runtimes come from the npm registry (the `node` package, which installs the
// platform's `node-<os>-<arch>` package: binary plus headers), pinned to the versions below, into
// node_modules/.cache/s3ferry-runtimes/node-VERSION/ (so `npm ci` starts them afresh):
//
//   runtime/   `npm install node@VERSION` (its preinstall is allowed by its own package.json)
//   tree/      a copy of the project as the tests see it: dist/ and node_modules/ hard-linked from
//              the project's (cheap; dist/ anew at every run), better-sqlite3 a real copy built for
//              this runtime by node-gyp against the runtime's own headers (no prebuilt download
//              works here), every other top-level entry a symlink to the project's.
//
// The tests run from tree/dist/test with this runtime as process.execPath, so the CLI and agent
// processes they spawn run on it too, and load the native module built for it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/**
 * The other runtimes, pinned (the `node` package's versions on the npm registry). Node 24 stays at
 * 24.18.1: from 24.19.0 on, node_object_wrap.h (compiled into every addon built against those
 * headers) removes a cleanup hook in the ObjectWrap destructor, which aborts the process when the
 * garbage collector frees a better-sqlite3 12 Statement ("Assertion failed: (env) != nullptr" in
 * node::RemoveEnvironmentCleanupHook; nodejs/node#65446, open). better-sqlite3 13 no longer uses
 * ObjectWrap but needs Node 22. `S3FERRY_TEST_RUNTIMES=24.21.0 npm run test:runtimes` shows it.
 */
export const RUNTIMES = [
  { major: '22', version: '22.23.3' },
  { major: '24', version: '24.18.1' },
];

/**
 * What runs on them: every unit test (the domain, config, API validation and the SQLite journal's
 * conformance suite, through the native module) but the PostgreSQL ones (a pure-JS driver, and a
 * minute of server restarts), and e2e tests that go through the AWS SDK (both request paths of the
 * object-store conformance suite), the CLI's upload, a SIGKILLed upload resumed from the journal,
 * and a real agent process counting its uploads in /metrics.
 */
export const SUBSET = [
  'unit/',
  'e2e/object-target',
  'e2e/upload-roundtrip',
  'e2e/upload-crash-resume',
  'e2e/api-metrics',
];
/**
 * Test files of SUBSET left out, by the start of their path relative to dist/test: the PostgreSQL
 * store's own tests, and the benchmark harness's (not the product; some sample CPU time, which a
 * loaded machine skews).
 */
export const SUBSET_EXCLUDED = ['unit/journal-postgres.', 'unit/bench-'];

const NATIVE = 'better-sqlite3';

/** Runs a command; rejects with its output's tail when it fails. */
function run(cmd, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else {
        const tail = out.trimEnd().split('\n').slice(-30).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${tail}`));
      }
    });
  });
}

/** npm's own node-gyp (npm sets npm_config_node_gyp for its scripts; else beside the npm in use). */
async function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const globalRoot = (await run('npm', ['root', '-g'], {})).trim();
  const found = path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(found))
    throw new Error(
      `node-gyp not found at ${found}: install npm's node-gyp or set npm_config_node_gyp`,
    );
  return found;
}

/** Installs node@VERSION into dir/runtime when missing; returns its binary and header dir. */
async function installRuntime(dir, version) {
  const runtimeDir = path.join(dir, 'runtime');
  const modules = path.join(runtimeDir, 'node_modules', 'node');
  const bin = path.join(modules, 'bin', 'node');
  const stamp = path.join(runtimeDir, 'installed');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== version) {
    rmSync(runtimeDir, { recursive: true, force: true });
    mkdirSync(runtimeDir, { recursive: true });
    const pkg = {
      name: 's3ferry-test-runtime',
      private: true,
      dependencies: { node: version },
      // the package's preinstall fetches the binary package for this platform from the registry
      allowScripts: { node: true },
    };
    writeFileSync(path.join(runtimeDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: runtimeDir,
    });
    const actual = (await run(bin, ['--version'], {})).trim();
    if (actual !== `v${version}`) throw new Error(`${bin} says ${actual}, not v${version}`);
    writeFileSync(stamp, version);
  }
  // node/node_modules/node-<os>-<arch>/include/node: the headers node-gyp builds against
  const inner = path.join(modules, 'node_modules');
  const platformPkg = readdirSync(inner).find((name) =>
    existsSync(path.join(inner, name, 'include', 'node', 'node_version.h')),
  );
  if (platformPkg === undefined) throw new Error(`no Node headers under ${inner}`);
  return { bin, headers: path.join(inner, platformPkg) };
}

/** A digest of what is installed in the project's node_modules (npm's hidden lock file). */
function installedDigest(root) {
  const hidden = path.join(root, 'node_modules', '.package-lock.json');
  return createHash('sha256')
    .update(existsSync(hidden) ? readFileSync(hidden) : '')
    .digest('hex');
}

/** Lays out dir/tree (see the module comment); the native module is left for buildNative. */
async function layTree(root, tree) {
  const modules = path.join(tree, 'node_modules');
  const stamp = path.join(tree, 'node_modules.digest');
  const digest = installedDigest(root);
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
    // everything but the native module, which keeps its build while its own stamp holds
    if (existsSync(modules))
      for (const name of readdirSync(modules))
        if (name !== NATIVE) rmSync(path.join(modules, name), { recursive: true, force: true });
    mkdirSync(modules, { recursive: true });
    const entries = readdirSync(path.join(root, 'node_modules'))
      .filter((name) => name !== '.cache' && name !== NATIVE)
      .map((name) => path.join(root, 'node_modules', name));
    await run('cp', ['-al', ...entries, modules], {});
    writeFileSync(stamp, digest);
  }
  rmSync(path.join(tree, 'dist'), { recursive: true, force: true });
  await run('cp', ['-al', path.join(root, 'dist'), path.join(tree, 'dist')], {});
  for (const name of readdirSync(root)) {
    if (['dist', 'node_modules', '.git'].includes(name)) continue;
    const link = path.join(tree, name);
    rmSync(link, { recursive: true, force: true });
    symlinkSync(path.join(root, name), link);
  }
}

/** Builds better-sqlite3 for the runtime in tree/node_modules when its stamp does not match. */
async function buildNative(root, tree, runtime, version) {
  const source = path.join(root, 'node_modules', NATIVE);
  const target = path.join(tree, 'node_modules', NATIVE);
  const nativeVersion = JSON.parse(readFileSync(path.join(source, 'package.json'), 'utf8')).version;
  const stamp = path.join(target, 's3ferry-built-for');
  const want = `${NATIVE}@${nativeVersion} node@${version}`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return false;
  rmSync(target, { recursive: true, force: true });
  const build = path.join(source, 'build');
  cpSync(source, target, {
    recursive: true,
    filter: (p) => p !== build && !p.startsWith(build + path.sep),
  });
  const gyp = await nodeGyp();
  const env = {
    ...process.env,
    PATH: `${path.dirname(runtime.bin)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  // npm's own config (e.g. a nodedir for the system's Node 20) must not reach this build
  for (const key of Object.keys(env)) if (/^npm_config_/i.test(key)) delete env[key];
  await run(
    runtime.bin,
    [gyp, 'rebuild', '--release', `--nodedir=${runtime.headers}`, '--jobs=2'],
    { cwd: target, env },
  );
  // the proof that the build loads in this runtime, before any test depends on it
  const probe =
    "const D=require('better-sqlite3');console.log(new D(':memory:').prepare('select sqlite_version() v').get().v)";
  await run(runtime.bin, ['-e', probe], { cwd: tree });
  writeFileSync(stamp, want);
  return true;
}

/**
 * Makes node@VERSION and a project tree for it ready; returns { version, bin, tree, seconds,
 * built } (built: better-sqlite3 was compiled this time). Throws with the cause when a step fails.
 */
export async function prepareRuntime(root, { version }) {
  const t0 = Date.now();
  const dir = path.join(root, 'node_modules', '.cache', 's3ferry-runtimes', `node-${version}`);
  const tree = path.join(dir, 'tree');
  mkdirSync(tree, { recursive: true });
  const runtime = await installRuntime(dir, version);
  await layTree(root, tree);
  const built = await buildNative(root, tree, runtime, version);
  return { version, bin: runtime.bin, tree, built, seconds: (Date.now() - t0) / 1000 };
}
