/** How the direct path (s3-direct.ts) writes a request body, and reports its progress. */
import type http from 'node:http';
import type { BodyProgress } from '../object-target.js';

/** A request body, and who is told of its bytes as the socket takes them. */
export interface Body {
  readonly bytes: Uint8Array;
  readonly onWritten: BodyProgress | undefined;
}

/**
 * Bodies of at least two pieces are written a piece at a time, each reported once the socket has
 * taken it (a progress bar then moves within a part, and stops when the store stops reading).
 * Smaller bodies go in one write and are not reported: their answer is their progress.
 */
const PROGRESS_PIECE = 1024 * 1024;

export function writeBody(req: http.ClientRequest, body: Body): void {
  const { bytes, onWritten } = body;
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (onWritten === undefined || all.byteLength < 2 * PROGRESS_PIECE) {
    req.end(all);
    return;
  }
  // Views of the one buffer, queued at once: no copy, and the socket's own backpressure paces
  // the callbacks. A failed request calls them with an error: nothing more is reported.
  for (let at = 0; at < all.byteLength; at += PROGRESS_PIECE) {
    const piece = all.subarray(at, Math.min(at + PROGRESS_PIECE, all.byteLength));
    req.write(piece, (err) => {
      if (err == null) onWritten(piece.byteLength);
    });
  }
  req.end();
}
