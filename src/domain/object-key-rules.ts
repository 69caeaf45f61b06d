/**
 * The rules every finished object key obeys (S3's and s3ferry's): 1-1,024 bytes of valid UTF-8,
 * no leading '/', no '.' or '..' segment. key-template.ts checks templates and rendered keys
 * against them.
 */

/** S3's limit on the UTF-8 length of a key. */
export const MAX_KEY_BYTES = 1024;

export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** UTF-8 length of a string without lone surrogates. */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

export const show = (s: string): string => (s.length > 80 ? `${s.slice(0, 80)}…` : s);

export type Problem = 'empty' | 'slash' | 'dot';

export function shapeProblem(key: string): { problem: Problem; segment?: string } | undefined {
  if (key === '') return { problem: 'empty' };
  if (key.startsWith('/')) return { problem: 'slash' };
  const segment = key.split('/').find((s) => s === '.' || s === '..');
  return segment === undefined ? undefined : { problem: 'dot', segment };
}

/**
 * Checks a finished key (prefix included): the reason it is not a valid S3 key for s3ferry, or
 * undefined. Refuses the empty key, a leading '/', lone UTF-16 surrogates (no UTF-8 form), '.'
 * and '..' segments, and more than {@link MAX_KEY_BYTES} bytes of UTF-8.
 */
export function checkKey(key: string): string | undefined {
  const shape = shapeProblem(key);
  if (shape?.problem === 'empty') return 'the key is empty';
  if (shape?.problem === 'slash') return `the key '${show(key)}' starts with '/'`;
  if (LONE_SURROGATE.test(key)) {
    return `the key '${show(key)}' contains a lone UTF-16 surrogate, which has no UTF-8 form`;
  }
  if (shape?.problem === 'dot') {
    return `the key '${show(key)}' has a '${shape.segment ?? ''}' segment, which tools resolve as a relative path`;
  }
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) {
    return `the key '${show(key)}' is ${bytes} bytes of UTF-8; S3 keys are at most ${MAX_KEY_BYTES}`;
  }
  return undefined;
}
