import { AppError } from '../errors.ts';
import type { ByteRange } from './blob-store.ts';

/**
 * The inclusive byte span a range means for an object of `size` bytes, with HTTP's rules:
 * an end past the object is cut to its last byte, a suffix longer than the object is the
 * whole object, and a range starting at or past the end — any range of an empty object —
 * cannot be satisfied. Without a range: the whole object (`end` is -1 when it is empty).
 */
export function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size - 1 };
  if ('suffix' in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix <= 0) throw new AppError('bad_request', 'A suffix range needs a positive whole number of bytes.');
    if (size === 0) throw unsatisfiable(size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new AppError('bad_request', 'A byte range needs whole numbers with 0 <= start <= end.');
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

// `details.size` lets a route answer 416 with `Content-Range: bytes */<size>`.
export function unsatisfiable(size: number): AppError {
  return new AppError('range_not_satisfiable', undefined, { size });
}
