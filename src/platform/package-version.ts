/** s3ferry's version, from its package.json (dist/src/platform -> the package root). */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** Read once per process (the User-Agent of every direct request names it). */
export function packageVersion(): string {
  cached ??= readVersion();
  return cached;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
