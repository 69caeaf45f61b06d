/**
 * Part-size arithmetic for S3 multipart uploads. S3's limits: at most 10,000 parts, each part at
 * least 5 MiB except the last, at most 5 GiB; objects at most 5 TiB.
 */
import { AppError } from '../errors/app-error.js';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const TIB = 1024 * GIB;
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PART_SIZE = 5 * GIB;
export const MAX_OBJECT_SIZE = 5 * TIB;
/** Largest body a single PutObject may carry. */
export const MAX_SINGLE_PUT = 5 * GIB;

/**
 * The part size for a file of `size` bytes: max(preferred, ceil(size / 10,000)), so the upload never
 * needs more than 10,000 parts. `ceil`, not `floor`: floor can overshoot to 10,001 parts.
 * Throws ERR_FILE_TOO_LARGE above 5 TiB, ERR_USAGE for a preferred size S3 cannot take.
 */
export function choosePartSize(size: number, preferred: number): number {
  if (!Number.isSafeInteger(preferred) || preferred < MIN_PART_SIZE || preferred > MAX_PART_SIZE) {
    throw new AppError(
      'ERR_USAGE',
      `part size ${preferred} is outside S3's limits (5 MiB to 5 GiB)`,
      {
        hint: 'choose a part size between 5MiB and 5GiB',
      },
    );
  }
  if (size > MAX_OBJECT_SIZE) {
    throw new AppError(
      'ERR_FILE_TOO_LARGE',
      `the file is ${size} bytes; S3 objects are at most 5 TiB`,
      {
        hint: 'split the file before uploading it',
      },
    );
  }
  return Math.max(preferred, Math.ceil(size / MAX_PARTS));
}

/** Number of parts for `size` bytes in parts of `partSize` (at least 1: an empty file is one part). */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** Byte range [start, end) of 1-based part `partNumber`. */
export function partRange(
  partNumber: number,
  partSize: number,
  size: number,
): { start: number; end: number } {
  const start = (partNumber - 1) * partSize;
  return { start, end: Math.min(size, start + partSize) };
}
