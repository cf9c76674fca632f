import { AppError } from '../errors.ts';

/**
 * Keys are `/`-separated segments of letters, digits and `. _ -`, each starting with a
 * letter or digit (`uploads/0193…/voice.ogg`). That one rule makes a key safe as a path
 * below the local store's folder (no `..`, no absolute path, no NUL, no backslash, no
 * empty segment) and as an S3 key that needs no escaping, and it keeps every name that
 * starts with a dot free for the stores' own use (`.tmp/`).
 */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const MAX_KEY_LENGTH = 512;

/** Where writes stage their bytes before the commit: never a valid key. */
export const TEMP_PREFIX = '.tmp/';

export function isBlobKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH && key.split('/').every((segment) => SEGMENT.test(segment));
}

/** Throws `bad_request` for anything but a valid key; the key is not quoted back (it may hold control bytes). */
export function assertBlobKey(key: unknown): asserts key is string {
  if (!isBlobKey(key)) throw new AppError('bad_request', 'Invalid blob key: segments of letters, digits and . _ - separated by /, each starting with a letter or digit.');
}

/** A sweep prefix: empty (everything), or a key, possibly ending with `/` or in the middle of a segment. */
export function assertBlobPrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return;
  if (typeof prefix === 'string' && isBlobKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix)) return;
  throw new AppError('bad_request', 'Invalid blob key prefix.');
}
