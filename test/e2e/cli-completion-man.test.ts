/**
 * `s3ferry completion bash|zsh|fish` and the man page, checked against what the CLI's own `--help`
 * lists (read from the built CLI, not from the generator): bash completes through its real
 * `complete`/`compgen` machinery, fish through `complete -C`, zsh is checked by `zsh -n` and for
 * every name; the man page renders with `man -l` and groff without a warning, names every command
 * and option, and docs/s3ferry.1 is exactly `s3ferry man`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { CLI_PATH } from '../support/cli.js';
import { ensureDebianTool } from '../support/debian-tool.js';
import { makeTmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cli = async (...args: string[]) => (await run(process.execPath, [CLI_PATH, ...args])).stdout;

/** The names listed under a heading ("Commands:" or "Options:") of a --help text. */
function listed(help: string, heading: 'Commands:' | 'Options:'): string[] {
  const section = help.split(heading)[1]?.split(/\n\n/)[0] ?? '';
  const pattern =
    heading === 'Commands:' ? /^ {2}([a-z][\w-]*)/gm : /^ {2}(?:(-\w), )?(--[\w-]+)/gm;
  return [...section.matchAll(pattern)].flatMap((m) => [m[1], m[2]].filter((x) => x !== undefined));
}

/** Every command path with the options its --help lists: the CLI's own account of itself. */
async function helpTree(path: string[] = []): Promise<{ path: string[]; options: string[] }[]> {
  const help = await cli(...path, '--help');
  const here = { path, options: listed(help, 'Options:') };
  const subs = listed(help, 'Commands:').filter((c) => c !== 'help');
  const below = await Promise.all(subs.map((c) => helpTree([...path, c])));
  return [here, ...below.flat()];
}

describe('shell completion and the man page', () => {
  let tree: { path: string[]; options: string[] }[];
  let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
  before(async () => {
    for (const [cmd, pkg] of [
      ['zsh', 'zsh'],
      ['fish', 'fish'],
      ['man', 'man-db'],
      ['groff', 'groff-base'],
    ] as const)
      await ensureDebianTool(cmd, pkg);
    tree = await helpTree();
    tmp = await makeTmpDir('completion');
  });

  it('bash: `complete -p` shows it registered, and compgen completes every command and option', async () => {
    const script = join(tmp.path, 's3ferry.bash');
    await writeFile(script, await cli('completion', 'bash'));
    // one bash session: source the script, then ask the completion function as bash would
    const probe = [
      `source ${script}`,
      'complete -p s3ferry',
      'ask() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _s3ferry; echo "${COMPREPLY[*]}"; }',
      ...tree.flatMap(({ path }) => [
        `ask s3ferry ${path.join(' ')} ''`,
        `ask s3ferry ${path.join(' ')} -`,
      ]),
      "ask s3ferry upload --sse ''",
      "ask s3ferry completion ''",
      `ask s3ferry config check ${join(tmp.path, 's3ferry.b')}`,
    ].join('\n');
    const lines = (await run('bash', ['-c', probe])).stdout.split('\n');
    assert.equal(lines[0], 'complete -F _s3ferry s3ferry');
    tree.forEach(({ path, options }, i) => {
      const commands = lines[1 + 2 * i]?.split(' ') ?? [];
      const next = tree.filter(
        (t) => t.path.length === path.length + 1 && path.every((w, j) => t.path[j] === w),
      );
      for (const sub of next)
        assert.ok(
          commands.includes(sub.path.at(-1) ?? ''),
          `${path.join(' ')}: ${sub.path.join(' ')}`,
        );
      assert.deepEqual(
        options.filter((o) => !(lines[2 + 2 * i]?.split(' ') ?? []).includes(o)),
        [],
        `options of s3ferry ${path.join(' ')}`,
      );
    });
    const rest = lines.slice(1 + 2 * tree.length);
    assert.equal(rest[0], 'AES256 aws:kms');
    assert.equal(rest[1], 'bash zsh fish');
    assert.equal(rest[2], join(tmp.path, 's3ferry.bash'), 'a file argument completes to files');
  });

  it('fish: complete -C offers the commands, the options of each, and choices', async () => {
    const script = join(tmp.path, 's3ferry.fish');
    await writeFile(script, await cli('completion', 'fish'));
    const ask = async (line: string) =>
      (await run('fish', ['-c', `source ${script}; complete -C '${line}'`])).stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0]);
    const top = await ask('s3ferry ');
    for (const { path } of tree.filter((t) => t.path.length === 1))
      assert.ok(top.includes(path[0] ?? ''), path.join(' '));
    for (const { path, options } of tree) {
      const offered = await ask(`s3ferry ${path.join(' ')} -`);
      assert.deepEqual(
        options.filter((o) => !offered.includes(o)),
        [],
        `options of s3ferry ${path.join(' ')}`,
      );
    }
    assert.deepEqual(await ask('s3ferry upload --sse '), ['AES256', 'aws:kms']);
    assert.deepEqual(await ask('s3ferry config '), ['check', 'help']);
  });

  it('zsh: the script is valid zsh and names every command and option', async () => {
    const text = await cli('completion', 'zsh');
    const script = join(tmp.path, '_s3ferry');
    await writeFile(script, text);
    await run('zsh', ['-n', script]);
    assert.match(text, /^#compdef s3ferry\n/);
    for (const { path, options } of tree) {
      if (path.length > 0) assert.ok(text.includes(`'${path.at(-1) ?? ''}:`), path.join(' '));
      for (const o of options)
        assert.ok(text.includes(`${o}[`) || text.includes(`${o}=[`), `${path.join(' ')} ${o}`);
    }
  });

  it('man: docs/s3ferry.1 is `s3ferry man`; it renders without a warning and names every command and option', async () => {
    const page = await cli('man');
    assert.equal(
      await readFile(join(ROOT, 'docs', 's3ferry.1'), 'utf8'),
      page,
      'docs/s3ferry.1 is out of date: regenerate it with npx tsc -b && node dist/src/cli/main.js man > docs/s3ferry.1',
    );
    const groff = await run('groff', ['-man', '-ww', '-z', join(ROOT, 'docs', 's3ferry.1')]);
    assert.equal(groff.stderr, '');
    const env = { ...process.env, MANWIDTH: '200', LC_ALL: 'C.UTF-8' };
    const { stdout: text, stderr } = await run('man', ['-l', join(ROOT, 'docs', 's3ferry.1')], {
      env,
    });
    assert.equal(stderr, '');
    assert.match(text, /^S3FERRY\(1\)/);
    for (const section of [
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'COMMANDS',
      'EXIT STATUS',
      'ENVIRONMENT',
    ])
      assert.match(text, new RegExp(`^${section}$`, 'm'));
    for (const { path, options } of tree) {
      if (path.length > 0) assert.match(text, new RegExp(`^ {3}s3ferry ${path.join(' ')} `, 'm'));
      for (const o of options) assert.ok(text.includes(o), `${path.join(' ')} ${o}`);
    }
  });
});
