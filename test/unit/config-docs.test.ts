/** docs/configuration.md and s3ferry.example.yaml stay in step with the schema. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { describeConfig, listConfigOptions } from '../../src/config/describe.js';
import { loadConfig } from '../../src/config/load.js';

const ROOT = new URL('../../../', import.meta.url);
const EXAMPLE = fileURLToPath(new URL('s3ferry.example.yaml', ROOT));
const REGENERATE =
  'regenerate it: npx tsc -b && node -e "import(\'./dist/src/config/describe.js\').then((m) => process.stdout.write(m.describeConfig()))" > docs/configuration.md';

describe('docs/configuration.md', () => {
  it('is exactly what describeConfig() generates from the schema', () => {
    const doc = readFileSync(new URL('docs/configuration.md', ROOT), 'utf8');
    assert.ok(doc === describeConfig(), `docs/configuration.md is out of date; ${REGENERATE}`);
  });
});

describe('s3ferry.example.yaml', () => {
  it('parses, with the two jobs it presents', async () => {
    const config = await loadConfig({ file: EXAMPLE, env: {} });
    const [media, backups] = config.jobs;
    assert.equal(media?.after.action, 'delete');
    assert.equal(media.markerSuffix, '.done');
    assert.equal(media.mode, 'watch');
    assert.match(String(backups?.key), /\{hostname\}.*\{mtime:yyyyMMdd\}/);
    assert.equal(backups?.destination.profile, 'backup-writer');
    assert.equal(backups.destination.bucket, 'acme-backups');
  });

  it('mentions every option of the schema', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const missing = listConfigOptions().filter((option) => {
      const leaf = option.split('.').pop()?.replace(/\[\]$/, '') ?? option;
      return !new RegExp(`(^|[\\s{,-])${leaf}:`, 'm').test(text);
    });
    assert.deepEqual(missing, []);
  });
});
