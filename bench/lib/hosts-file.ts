/**
 * rclone over TLS with virtual-hosted addressing needs the bucket names (BUCKET.s3.bench.test) to
 * resolve, and has no option of its own for that (s3ferry resolves them inside its process with
 * S3FERRY_RESOLVE, curl with --resolve). So, as root, the bench adds them to /etc/hosts in a
 * marked block for the run and removes the block at the end or on Ctrl-C; a block an interrupted
 * run left behind is removed at the next start. Nothing else in the file is touched.
 */
import { readFile, writeFile } from 'node:fs/promises';

const BEGIN = '# s3ferry bench: BEGIN (names of the TLS workloads; removed when the run ends)';
const END = '# s3ferry bench: END';

/** `text` without the bench's block(s). */
export function withoutBenchBlock(text: string): string {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (line === BEGIN) inside = true;
    else if (inside && line === END) inside = false;
    else if (!inside) out.push(line);
  }
  return out.join('\n');
}

/** `text` with one block giving `names` the address 127.0.0.1 (any earlier block replaced). */
export function withBenchBlock(text: string, names: readonly string[]): string {
  const rest = withoutBenchBlock(text);
  const base = rest === '' || rest.endsWith('\n') ? rest : `${rest}\n`;
  return `${base}${BEGIN}\n${names.map((n) => `127.0.0.1 ${n}`).join('\n')}\n${END}\n`;
}

/** Adds `names` to `file` (as root); false when the process may not (not root: nothing done). */
export async function addBenchHosts(
  names: readonly string[],
  file = '/etc/hosts',
): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  // written in place: in a container /etc/hosts is a bind mount that cannot be replaced by rename
  await writeFile(file, withBenchBlock(await readFile(file, 'utf8'), names));
  return true;
}

/** Removes the bench's block from `file`, if it has one (as root; otherwise nothing). */
export async function removeBenchHosts(file = '/etc/hosts'): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const text = await readFile(file, 'utf8');
  const rest = withoutBenchBlock(text);
  if (rest !== text) await writeFile(file, rest);
}
