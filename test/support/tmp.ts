/** Unique ids and private temporary directories for tests (STYLE.md section 10). */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let counter = 0;

function slug(label: string): string {
  const s = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return s === '' ? 'test' : s;
}

/** A unique id: label, pid, a per-process counter and randomness, e.g. `resume-4211-3-9f2c1a7e`. */
export function testId(label: string): string {
  counter += 1;
  return `${slug(label)}-${process.pid}-${counter}-${randomBytes(4).toString('hex')}`;
}

/** A new empty directory under os.tmpdir(); cleanup() deletes it with its contents (idempotent). */
export async function makeTmpDir(
  label: string,
): Promise<{ path: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `s3ferry-${slug(label)}-${process.pid}-`));
  return {
    path: dir,
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
