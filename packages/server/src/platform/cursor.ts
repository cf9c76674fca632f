import { Id } from '@parley/protocol';
import { Compile } from 'typebox/compile';
import { AppError } from './errors.ts';

const validId = Compile(Id);

/** Cursor guard for pages keyed by an id: anything else (say a NUL string) is a bad cursor, not a database error. */
export function isIdCursor(value: unknown): value is string {
  return typeof value === 'string' && validId.Check(value);
}

/** Opaque pagination cursors: base64url JSON that clients hand back unchanged. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through to the typed error
  }
  throw new AppError('bad_request', 'Invalid cursor.');
}
