import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.ts';
import { assertBlobKey } from './blob-keys.ts';

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

/** Stores take streams only, so a body is never held whole in memory; a Buffer or a string gets a typed refusal, not a TypeError. */
export function assertReadable(body: unknown): asserts body is Readable {
  if (!(body instanceof Readable)) throw new AppError('bad_request', 'A blob is written from a readable stream.');
}

/**
 * Checks a write before any byte is read: a readable body, a safe key, usable options and,
 * for a store with a ceiling, a limit within it. A refused write destroys its body, so a
 * request stream is not left half-read.
 */
export function assertWrite(key: string, body: unknown, options: { contentType: string; maxBytes: number }, ceiling?: { maxBytes: number; what: string }): asserts body is Readable {
  assertReadable(body);
  try {
    assertBlobKey(key);
    assertWriteOptions(options);
    if (ceiling && options.maxBytes > ceiling.maxBytes) throw new AppError('limit_exceeded', `${ceiling.what} holds files of at most ${ceiling.maxBytes} bytes.`);
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/** One write's source, piped into a meter that the store reads from. */
export interface MeteredSource {
  meter: MeteredStream;
  /** The AppError a failed write answers; ask before `discard`. */
  failure(error: unknown): AppError;
  /** Stops reading the source and destroys it, once the write has failed. */
  discard(): void;
}

/**
 * Pipes `body` into a MeteredStream with errors flowing one way only: a source that breaks
 * off (a client gone mid-upload: an error, or a close before its end) fails the meter and so
 * the store's side of the write, but a store that fails never marks the source. That lets
 * `failure` tell the client's fault (`bad_request`) from the store's (`unavailable`,
 * retryable); the size limit and other AppErrors pass as they are. Listening from the first
 * moment also means a source failing before the store reads it cannot crash the process.
 */
export function meterSource(body: Readable, maxBytes: number): MeteredSource {
  const meter = new MeteredStream(maxBytes);
  let sourceError: unknown = null;
  let settled = false;
  const broke = (error: unknown) => {
    if (settled || sourceError !== null) return;
    sourceError = error;
    meter.destroy(error instanceof AppError ? error : new Error('the source stream broke off', { cause: error }));
  };
  body.once('end', () => {
    settled = true;
  });
  body.on('error', broke);
  body.once('close', () => broke(new Error('the source stream closed before its end')));
  body.pipe(meter);
  return {
    meter,
    failure(error) {
      if (sourceError !== null) {
        if (sourceError instanceof AppError) return sourceError;
        const refusal = new AppError('bad_request', 'The upload stream broke off before it ended.');
        refusal.cause = sourceError;
        return refusal;
      }
      if (meter.errored instanceof AppError) return meter.errored;
      if (error instanceof AppError) return error;
      const failure = new AppError('unavailable', 'The file store failed; retry later.');
      failure.cause = error;
      return failure;
    },
    discard() {
      settled = true;
      body.unpipe(meter);
      body.destroy();
      meter.destroy();
    },
  };
}
