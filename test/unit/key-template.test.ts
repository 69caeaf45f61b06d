import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDateFormat, formatDate } from '../../src/domain/date-format.js';
import {
  checkKey,
  checkKeyTemplate,
  type KeyVars,
  MAX_KEY_BYTES,
  renderKey,
  templateNeeds,
} from '../../src/domain/key-template.js';
import { isAppError } from '../../src/errors/app-error.js';

const MTIME = Date.UTC(2024, 0, 31, 13, 4, 5, 6); // 2024-01-31T13:04:05.006Z
const CTIME = Date.UTC(2023, 11, 1, 2, 3, 4, 50);
const NOW = Date.UTC(2025, 6, 9, 23, 59, 58, 999);
const SHA = 'ab'.repeat(32);
const MD5 = 'cd'.repeat(16);
const UUID = '123e4567-e89b-42d3-a456-426614174000';

const VARS: KeyVars = {
  path: 'photos/2024/IMG_1.jpg',
  mtimeMs: MTIME,
  ctimeMs: CTIME,
  nowMs: NOW,
  hostname: 'web1',
  job: 'pics',
  size: 12345,
  sha256: SHA,
  md5: MD5,
  uuid: UUID,
  env: { REGION: 'eu-west-1', EMPTY: '', SLASHED: 'a/b', DOTDOT: '..', ABS: '/abs' },
};

function key(template: string, vars: Partial<KeyVars> = {}, prefix = ''): string {
  const out = renderKey(template, { ...VARS, ...vars }, prefix);
  if ('error' in out) assert.fail(`${template}: ${out.error}`);
  return out.key;
}

function error(template: string, vars: Partial<KeyVars> = {}, prefix = ''): string {
  const out = renderKey(template, { ...VARS, ...vars }, prefix);
  if ('key' in out) assert.fail(`${template} rendered ${out.key}`);
  return out.error;
}

describe('key template: every placeholder', () => {
  const rows: readonly (readonly [string, string])[] = [
    ['{path}', 'photos/2024/IMG_1.jpg'],
    ['{dir}', 'photos/2024'],
    ['{name}', 'IMG_1.jpg'],
    ['{stem}', 'IMG_1'],
    ['{ext}', 'jpg'],
    ['{mtime:yyyyMMddHHmmss}', '20240131130405'],
    ['{ctime:yyyy-MM-dd}', '2023-12-01'],
    ['{now:yyyy/MM/dd HH:mm:ss.SSS}', '2025/07/09 23:59:58.999'],
    ['{hostname}', 'web1'],
    ['{job}', 'pics'],
    ['{sha256}', SHA],
    ['{md5}', MD5],
    ['{size}', '12345'],
    ['{uuid}', UUID],
    ['{env:REGION}', 'eu-west-1'],
    ['{env:SLASHED}/{name}', 'a/b/IMG_1.jpg'],
    [
      'backups/{hostname}/{mtime:yyyyMMdd}/{stem}-{size}.{ext}',
      'backups/web1/20240131/IMG_1-12345.jpg',
    ],
    ['{{literal}}/{name}', '{literal}/IMG_1.jpg'],
    ['a}}b{{c', 'a}b{c'],
  ];
  for (const [template, expected] of rows) {
    it(`${template} → ${expected}`, () => {
      assert.equal(key(template), expected);
    });
  }
});

describe('key template: paths', () => {
  it('{dir}/{name} collapses the empty segment at the top level', () => {
    assert.equal(key('{dir}/{name}', { path: 'a.txt' }), 'a.txt');
    assert.equal(key('x/{dir}/{name}', { path: 'a.txt' }), 'x/a.txt');
    assert.equal(key('{dir}/{name}', { path: 'd/a.txt' }), 'd/a.txt');
    assert.equal(key('{dir}/{name}', { path: 'd/e/a.txt' }), 'd/e/a.txt');
  });

  it('drops a placeholder segment that renders empty, keeps literal empty segments', () => {
    assert.equal(key('logs/{env:NOPE}/{name}'), 'logs/IMG_1.jpg');
    assert.equal(key('logs/{env:EMPTY}{ext}/{name}', { path: 'README' }), 'logs/README');
    assert.equal(key('logs//{name}'), 'logs//IMG_1.jpg');
    assert.equal(key('{name}/{env:NOPE}'), 'IMG_1.jpg');
  });

  it('stem and ext follow the last dot, except for leading dots', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['a.tar.gz', 'a.tar', 'gz'],
      ['README', 'README', ''],
      ['.bashrc', '.bashrc', ''],
      ['..x', '..x', ''],
      ['.x.txt', '.x', 'txt'],
      ['x.', 'x', ''],
      ['d.d/file', 'file', ''],
    ];
    for (const [path, stem, ext] of cases) {
      assert.equal(key('{stem}|{ext}', { path }), `${stem}|${ext}`, path);
    }
    assert.equal(key('{stem}.{ext}', { path: 'd.d/file' }), 'file.');
  });

  it('keeps unicode names as they are', () => {
    const path = 'фото/2024/снимок 1 😀.JPG';
    assert.equal(key('{path}', { path }), path);
    assert.equal(key('{dir}|{stem}|{ext}', { path }), 'фото/2024|снимок 1 😀|JPG');
  });

  it('reads only own environment variables; unset is empty', () => {
    assert.equal(key('x{env:constructor}y'), 'xy');
    assert.equal(
      key('x{env:toString}y', { env: Object.create({ toString: 'no' }) as KeyVars['env'] }),
      'xy',
    );
  });

  it('prepends the prefix', () => {
    assert.equal(key('{name}', {}, 'in/'), 'in/IMG_1.jpg');
  });
});

describe('date formats (UTC)', () => {
  it('renders every field with its width', () => {
    const ms = Date.UTC(2009, 1, 3, 4, 5, 6, 7);
    assert.equal(formatDate(ms, 'yyyy|yy|MM|dd|HH|mm|ss|SSS'), '2009|09|02|03|04|05|06|007');
    assert.equal(formatDate(0, 'yyyy-MM-dd HH:mm:ss.SSS'), '1970-01-01 00:00:00.000');
    assert.equal(formatDate(new Date(0).setUTCFullYear(5), 'yyyy'), '0005');
    assert.equal(formatDate(1.9, 'SSS'), '001');
  });

  it('quotes literal letters; two quotes are one', () => {
    assert.equal(formatDate(MTIME, "yyyyMMdd'T'HHmmss'Z'"), '20240131T130405Z');
    assert.equal(formatDate(MTIME, "yyyy''MM"), "2024'01");
  });

  it('refuses unknown letters, unclosed quotes and formats without a field', () => {
    assert.match(
      checkDateFormat('YYYY') ?? '',
      /^'YYYY' is not a date field; fields are yyyy yy MM dd HH mm ss SSS/,
    );
    for (const bad of ['yyy', 'yyyyy', 'M', 'hh', 'D', 'SS', 'yyyyT']) {
      assert.notEqual(checkDateFormat(bad), undefined, bad);
    }
    assert.equal(checkDateFormat("yyyy'T"), 'the quote at position 5 is never closed');
    assert.equal(checkDateFormat('-'), 'it has no date field');
    assert.equal(checkDateFormat("'yyyy'"), 'it has no date field');
    assert.throws(
      () => formatDate(0, 'YYYY'),
      (e) => isAppError(e, 'ERR_CONFIG_INVALID'),
    );
    assert.throws(
      () => formatDate(Number.NaN, 'yyyy'),
      (e) => isAppError(e, 'ERR_USAGE'),
    );
  });
});

describe('checkKeyTemplate: refused at config time', () => {
  const refusals: readonly (readonly [string, string])[] = [
    ['', "the key template is empty; '{path}' keeps the relative path"],
    [
      '{nope}',
      "the template '{nope}': unknown placeholder {nope}; known: {path} {dir} {name} {stem} {ext} {mtime} {ctime} {now} {hostname} {job} {sha256} {md5} {size} {uuid} {env}",
    ],
    [
      '{}',
      "the template '{}': unknown placeholder {}; known: {path} {dir} {name} {stem} {ext} {mtime} {ctime} {now} {hostname} {job} {sha256} {md5} {size} {uuid} {env}",
    ],
    [
      'a/{name',
      "the template 'a/{name': '{' at position 3 is not closed (write '{{' for a literal brace)",
    ],
    [
      '{a{name}',
      "the template '{a{name}': '{' at position 1 is not closed (write '{{' for a literal brace)",
    ],
    [
      'name}',
      "the template 'name}': '}' at position 5 has no matching '{' (write '}}' for a literal brace)",
    ],
    ['{name:x}', "the template '{name:x}': {name} takes no ':'"],
    ['{mtime}', "the template '{mtime}': {mtime} needs a format, e.g. {mtime:yyyyMMdd}"],
    ['{now:}', "the template '{now:}': {now} needs a format, e.g. {now:yyyyMMdd}"],
    [
      '{mtime:YYYY}/{name}',
      "the template '{mtime:YYYY}/{name}': {mtime:YYYY} has a bad format: 'YYYY' is not a date field; fields are yyyy yy MM dd HH mm ss SSS (UTC), and literal letters go in single quotes ('T')",
    ],
    [
      '{env:}',
      "the template '{env:}': {env:} needs an environment variable name, e.g. {env:REGION}",
    ],
    [
      '{env:A-B}',
      "the template '{env:A-B}': {env:A-B} needs an environment variable name, e.g. {env:REGION}",
    ],
    [
      '/{name}',
      "the template '/{name}' always produces a key starting with '/' (S3 keys must not; the prefix already ends with '/')",
    ],
    [
      '{mtime:/yyyy}/{name}',
      "the template '{mtime:/yyyy}/{name}' always produces a key starting with '/' (S3 keys must not; the prefix already ends with '/')",
    ],
    [
      'a/../{name}',
      "the template 'a/../{name}' always produces a key with a '..' segment (tools resolve '.' and '..' as relative paths)",
    ],
    [
      './{name}',
      "the template './{name}' always produces a key with a '.' segment (tools resolve '.' and '..' as relative paths)",
    ],
    ['{env:X}', "the template '{env:X}' can produce an empty key when X is unset or empty"],
    [
      '{dir}',
      "the template '{dir}' can produce an empty key when a file sits at the top of its source directory",
    ],
    [
      '{env:A}{ext}',
      "the template '{env:A}{ext}' can produce an empty key when A is unset or empty and a file name has no extension",
    ],
    [
      '{env:X}//{name}',
      "the template '{env:X}//{name}' can produce a key starting with '/' (S3 keys must not; the prefix already ends with '/') when X is unset or empty",
    ],
    [
      '{stem}/.{ext}',
      "the template '{stem}/.{ext}' can produce a key with a '.' segment (tools resolve '.' and '..' as relative paths) when a file name has no extension",
    ],
    [
      'a/.{ext}/.{env:X}/{name}',
      "the template 'a/.{ext}/.{env:X}/{name}' can produce a key with a '.' segment (tools resolve '.' and '..' as relative paths) when a file name has no extension or X is unset or empty",
    ],
    [
      'x'.repeat(1025),
      `the template '${'x'.repeat(80)}…' renders at least 1025 bytes (prefix included); S3 keys are at most 1024`,
    ],
    [
      `${'€'.repeat(340)}{sha256}`,
      `the template '${'€'.repeat(80)}…' renders at least 1084 bytes (prefix included); S3 keys are at most 1024`,
    ],
    [
      'a\uD800b',
      "the template 'a\uD800b' contains a lone UTF-16 surrogate, which has no UTF-8 form",
    ],
  ];
  for (const [template, message] of refusals) {
    it(`refuses ${template.slice(0, 40)}`, () => {
      assert.equal(checkKeyTemplate(template), message);
    });
  }

  it('counts the prefix in the length bound', () => {
    const template = `${'x'.repeat(1000)}{name}`;
    assert.equal(checkKeyTemplate(template), undefined);
    assert.equal(checkKeyTemplate(template, 'p'.repeat(23)), undefined); // 1,024 at least
    assert.match(checkKeyTemplate(template, 'p'.repeat(24)) ?? '', /renders at least 1025 bytes/);
  });

  it('accepts the templates people write', () => {
    for (const ok of [
      '{path}',
      '{dir}/{name}',
      '{env:X}/{path}',
      '{env:X}{name}',
      'backups/{hostname}/{mtime:yyyyMMdd}/{name}',
      "{now:yyyy-MM-dd'T'HH:mm:ss'Z'}-{uuid}.{ext}",
      '{stem}.{ext}',
      '{sha256}',
      'a//b/{name}',
      '{dir}/{stem}_{size}{ext}',
      '{{x}}/{name}',
    ]) {
      assert.equal(checkKeyTemplate(ok), undefined, ok);
    }
  });
});

describe('renderKey: refused per file', () => {
  it('a hash the caller did not compute', () => {
    const noHashes: KeyVars = {
      path: VARS.path,
      mtimeMs: MTIME,
      ctimeMs: CTIME,
      nowMs: NOW,
      hostname: 'h',
      job: 'j',
      size: 1,
      uuid: UUID,
      env: {},
    };
    assert.deepEqual(renderKey('{sha256}', noHashes), {
      error:
        "cannot make a key for 'photos/2024/IMG_1.jpg': {sha256} needs the file's sha256, which was not computed",
    });
    assert.deepEqual(renderKey('{md5}', noHashes), {
      error:
        "cannot make a key for 'photos/2024/IMG_1.jpg': {md5} needs the file's md5, which was not computed",
    });
    assert.deepEqual(renderKey('{md5}', { ...noHashes, md5: MD5 }), { key: MD5 });
  });

  it('an empty key', () => {
    assert.equal(
      error('{env:NOPE}'),
      "cannot make a key for 'photos/2024/IMG_1.jpg': the template '{env:NOPE}' renders an empty key",
    );
    assert.equal(
      error('{dir}', { path: 'top.txt' }, 'p/'),
      "cannot make a key for 'top.txt': the template '{dir}' renders an empty key",
    );
  });

  it('a leading slash, a . or .. segment coming from a value', () => {
    assert.equal(
      error('{env:ABS}/{name}'),
      "cannot make a key for 'photos/2024/IMG_1.jpg': the key '/abs/IMG_1.jpg' starts with '/'",
    );
    assert.equal(
      error('x/{env:DOTDOT}/{name}'),
      "cannot make a key for 'photos/2024/IMG_1.jpg': the key 'x/../IMG_1.jpg' has a '..' segment, which tools resolve as a relative path",
    );
    assert.match(error('x/.{ext}', { path: 'README' }), /the key 'x\/\.' has a '\.' segment/);
    assert.match(error('{name}', {}, 'a/./'), /the key 'a\/\.\/IMG_1\.jpg' has a '\.' segment/);
  });

  it('more than 1,024 bytes of UTF-8, prefix included; exactly 1,024 is fine', () => {
    const euro = '€'.repeat(341); // 1,023 bytes
    assert.equal(key('{name}', { path: `${euro}a` }).length, 342);
    assert.match(
      error('{name}', { path: `${euro}ab` }),
      /is 1025 bytes of UTF-8; S3 keys are at most 1024$/,
    );
    assert.match(error('{name}', { path: `${euro}a` }, 'p/'), /is 1026 bytes of UTF-8/);
    assert.equal(key('{name}', { path: 'x'.repeat(MAX_KEY_BYTES) }).length, MAX_KEY_BYTES);
  });

  it('invalid UTF-16', () => {
    assert.match(error('{name}', { path: 'a\uDC00.txt' }), /contains a lone UTF-16 surrogate/);
  });

  it('a time that is not a date', () => {
    assert.match(
      error('{mtime:yyyy}', { mtimeMs: 1e20 }),
      /{mtime} is 100000000000000000000 ms, not a date/,
    );
  });

  it('an invalid template', () => {
    assert.match(
      error('{nope}'),
      /^cannot make a key for '.*': the template '{nope}': unknown placeholder/,
    );
  });
});

describe('checkKey and templateNeeds', () => {
  it('checkKey names each problem', () => {
    assert.equal(checkKey('a/b.txt'), undefined);
    assert.equal(checkKey(''), 'the key is empty');
    assert.equal(checkKey('/a'), "the key '/a' starts with '/'");
    assert.match(checkKey('a/..') ?? '', /'\.\.' segment/);
    assert.equal(checkKey('a/.../b'), undefined);
    assert.equal(checkKey('a/.b'), undefined);
  });

  it('templateNeeds says which hashes to compute', () => {
    assert.deepEqual(templateNeeds('{path}'), { sha256: false, md5: false });
    assert.deepEqual(templateNeeds('{sha256}/{name}'), { sha256: true, md5: false });
    assert.deepEqual(templateNeeds('{md5}-{sha256}'), { sha256: true, md5: true });
    assert.deepEqual(templateNeeds('{{sha256}}'), { sha256: false, md5: false });
    assert.deepEqual(templateNeeds('{sha256'), { sha256: false, md5: false });
  });
});
