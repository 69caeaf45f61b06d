/**
 * The logger's two formats: JSON lines for machines, one readable line per record for a person at
 * a terminal (`auto` chooses by whether the stream is a terminal); secrets redacted in both.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, resolveLogFormat, type LogFormat } from '../../src/platform/logger.js';

/** Logs one record through a logger of `format` on a stream (a terminal when `tty`). */
function logOnce(format: LogFormat, tty: boolean): string {
  const out = new PassThrough();
  if (tty) Object.assign(out, { isTTY: true });
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const logger = createLogger('info', out, format);
  logger.info(
    { event: 'upload.finished', key: 'a/b.mp4', size: 12, secretAccessKey: 'wJalrXUtnFEMI' },
    'uploaded /data/b.mp4',
  );
  logger.debug({}, 'below the level');
  return text;
}

describe('logger formats', () => {
  it('json: one JSON object per line, the secret redacted', () => {
    const text = logOnce('json', true);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(record.msg, 'uploaded /data/b.mp4');
    assert.equal(record.event, 'upload.finished');
    assert.equal(record.secretAccessKey, '***');
    assert.equal(record.level, 30);
  });

  it('pretty: time, level, event and message, then the other fields on the same line', () => {
    const text = logOnce('pretty', false);
    assert.match(
      text,
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: upload\.finished: uploaded \/data\/b\.mp4 \{"key":"a\/b\.mp4","size":12,"secretAccessKey":"\*\*\*"\}\n$/,
    );
    assert.doesNotMatch(text, /wJalrXUtnFEMI/);
  });

  it('auto: pretty (coloured) on a terminal, JSON on anything else', () => {
    assert.equal(
      resolveLogFormat('auto', Object.assign(new PassThrough(), { isTTY: true })),
      'pretty',
    );
    assert.equal(resolveLogFormat('auto', new PassThrough()), 'json');
    assert.equal(
      resolveLogFormat('json', Object.assign(new PassThrough(), { isTTY: true })),
      'json',
    );
    const tty = logOnce('auto', true);
    const ESC = '\u001b';
    assert.ok(tty.includes(`${ESC}[32mINFO${ESC}[39m`), 'the level in colour');
    assert.match(tty, /upload\.finished: uploaded \/data\/b\.mp4/);
    assert.equal(
      (JSON.parse(logOnce('auto', false)) as { msg: string }).msg,
      'uploaded /data/b.mp4',
    );
  });
});
