import type { Readable } from 'node:stream';

/**
 * Where uploaded files (attachments, voice notes, avatars) live: local disk by default,
 * any S3-speaking service in production. Every implementation passes
 * `blob-store.conformance.ts`; what it guarantees:
 *
 * - A write is all or nothing. The bytes go to a temporary place and are committed by one
 *   rename (disk) or copy (S3) only after the whole stream arrived within its limit; a
 *   write that fails, is over its limit or whose source breaks leaves no object and no
 *   temporary file or upload part behind. Readers see the previous object or the new one.
 * - Bodies are streamed, never held whole in memory (the S3 twin holds at most
 *   `partSize × queueSize` bytes of one upload at a time).
 * - Keys are checked before anything is touched (`assertBlobKey`): no path traversal.
 * - Errors are AppErrors from the one table: `bad_request` (key, range syntax),
 *   `payload_too_large`, `not_found`, `range_not_satisfiable`; a failure of the storage
 *   itself is `unavailable` (retryable).
 */
export interface BlobStore {
  /** `local` or `s3`, for logs and docs. */
  readonly kind: 'local' | 's3';

  /**
   * Streams `body` into `key`, replacing what was there, and resolves once it is committed.
   * The stream is refused with `payload_too_large` as soon as it passes `maxBytes`. The
   * SHA-256 and size are computed while streaming. A source that errors or closes before
   * its end (a client that went away) rejects with `bad_request`, or with the source's own
   * AppError; a failing storage with `unavailable`. The store consumes `body`, and destroys
   * it when the write fails (destroying an HTTP request closes its socket: a route that
   * still wants to answer 413 hands in a PassThrough and drains the request itself).
   */
  write(key: string, body: Readable, options: BlobWriteOptions): Promise<BlobInfo>;

  /**
   * The object's bytes, whole or one range. The caller must consume or destroy `body`.
   * A range that starts at or past the end (or any range of an empty object) is
   * `range_not_satisfiable`; one that ends past the end is cut to the end, as HTTP does.
   */
  read(key: string, range?: ByteRange): Promise<BlobRead>;

  /** Size, type, checksum and time of the object; `not_found` when there is none. */
  stat(key: string): Promise<BlobInfo>;

  /** Removes the object; removing one that does not exist is not an error. */
  delete(key: string): Promise<void>;

  /**
   * A URL that lets whoever holds it GET the object without other credentials until it
   * expires. S3: an absolute presigned URL. Local disk: a path on this server
   * (`<basePath><key>?expires=…&sig=…`) for a route that checks it with `BlobUrlSigner.verify`.
   */
  signedReadUrl(key: string, options: { expiresInSec: number }): Promise<string>;

  /**
   * Deletes the objects whose key starts with `prefix` and that were written more than
   * `olderThanMs` ago (by the store's clock), e.g. uploads never attached to a message.
   * `prefix` is empty (every object) or a key prefix (`uploads/`, `uploads/2026-`).
   * Resolves to how many were deleted.
   */
  sweep(options: { prefix: string; olderThanMs: number }): Promise<number>;

  /** Releases connections; the store is not used afterwards. */
  close(): Promise<void>;
}

export interface BlobWriteOptions {
  /** Stored with the object and answered by `stat` and `read` (a route's Content-Type). */
  contentType: string;
  /** Bytes the stream may carry; one more and the write is refused with `payload_too_large`. */
  maxBytes: number;
}

export interface BlobInfo {
  key: string;
  size: number;
  contentType: string;
  /** Lowercase hex SHA-256 of the whole object. */
  sha256: string;
  /** When the object was committed, epoch milliseconds (the storage's clock). */
  createdAt: number;
}

/**
 * Bytes to read: from `start` to `end` inclusive (no `end`: to the end of the object), or
 * the last `suffix` bytes, like HTTP's `bytes=start-end` and `bytes=-suffix`.
 */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export interface BlobRead {
  info: BlobInfo;
  /** The bytes served, inclusive: for a route's `Content-Range: bytes start-end/size`. */
  start: number;
  end: number;
  /** Whether a range was asked for (a route answers 206 rather than 200). */
  partial: boolean;
  body: Readable;
}
