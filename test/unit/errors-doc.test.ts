/** Every error code and exit code is documented in docs/errors.md, with the exit code the table gives. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, EXIT, type ErrorCode } from '../../src/errors/codes.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every error code', () => {
    const missing = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
      (code) => !doc.includes(`\`${code}\``),
    );
    assert.deepEqual(missing, []);
  });
  it('documents every exit code', () => {
    for (const [name, code] of Object.entries(EXIT))
      assert.match(doc, new RegExp(`^\\| ${code}\\s+\\|`, 'm'), name);
  });
  it('places each code under the section of its kind', () => {
    const sections: Record<string, string> = {
      fatal: '### The destination',
      transient: '### Transient',
      permanent: '### This file',
    };
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const heading = sections[info.kind];
      if (heading === undefined || (info.kind === 'fatal' && info.exitCode !== EXIT.destination))
        continue;
      const start = doc.indexOf(heading);
      const end = doc.indexOf('\n### ', start + 1);
      assert.ok(
        doc.slice(start, end).includes(`\`${code}\``),
        `${code} (${info.kind}) belongs under "${heading}"`,
      );
    }
  });
});
