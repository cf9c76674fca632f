import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.ts';

/**
 * A pass-through that counts and hashes what flows into a store, and fails the stream with
 * `payload_too_large` at the first chunk that passes `maxBytes`, so an over-limit upload
 * is stopped while it streams, not after. `sha256` and `byteCount` are final once it ended.
 */
export class MeteredStream extends Transform {
  /** Not `size`: upload helpers read a body's `size` as its known length. */
  byteCount = 0;
  private readonly hash = createHash('sha256');
  private digest: string | null = null;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    super();
    this.maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.byteCount += chunk.length;
    if (this.byteCount > this.maxBytes) {
      callback(new AppError('payload_too_large', `The file is larger than ${this.maxBytes} bytes.`, { maxBytes: this.maxBytes }));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    callback();
  }

  get sha256(): string {
    if (this.digest === null) throw new Error('the stream has not ended');
    return this.digest;
  }
}

/** Checks the write options every store takes, before any byte is read. */
export function assertWriteOptions(options: { contentType: string; maxBytes: number }): void {
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) throw new AppError('bad_request', 'maxBytes must be a whole number of bytes.');
  if (typeof options.contentType !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(options.contentType)) {
    throw new AppError('bad_request', 'The content type must be printable ASCII of at most 255 characters.');
  }
}

/**
 * Tells apart, once a write failed, a broken source (a client that went away: `bad_request`)
 * from a failing store (`unavailable`, retryable). AppErrors (the limit, a bad key) pass as
 * they are. Call it before the body is piped, so an early error is seen.
 */
export function watchSource(body: Readable): (error: unknown) => AppError {
  // Stores take streams only, so a body is never held whole in memory; a JavaScript caller
  // handing over a Buffer or a string gets a typed refusal, not a TypeError.
  if (!(body instanceof Readable)) throw new AppError('bad_request', 'A blob is written from a readable stream.');
  let ended = false;
  body.once('end', () => {
    ended = true;
  });
  // A source that fails before the pipeline listens (a client gone while the store gets
  // ready) must not crash the process; the pipeline still sees it as errored.
  body.on('error', () => undefined);
  return (error) => {
    if (error instanceof AppError) return error;
    const stored = body.errored;
    if (stored instanceof AppError) return stored;
    const failure = !ended && (body.errored || body.destroyed)
      ? new AppError('bad_request', 'The upload stream broke off before it ended.')
      : new AppError('unavailable', 'The file store failed; retry later.');
    failure.cause = error;
    return failure;
  };
}
