import { AppError } from './errors.ts';

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
