import type { Readable } from 'node:stream';
import type { BlobRead } from './blob-store.ts';

/** A signed link's bytes as a route answers them: 200 or 206, the body, and its headers. */
export interface ServedBlob {
  status: 200 | 206;
  body: Readable;
  headers: Record<string, string>;
}

/**
 * The answer for bytes read behind a signed link. Only the holder of the link may cache it
 * (private), for as long as the link lives; the content never changes under a key (immutable,
 * and the ETag is its SHA-256).
 */
export function servedBlob(read: BlobRead, options: { contentType: string; contentDisposition: string; expiresInSec: number }): ServedBlob {
  return {
    status: read.partial ? 206 : 200,
    body: read.body,
    headers: {
      'content-type': options.contentType,
      'content-length': String(read.info.size === 0 ? 0 : read.end - read.start + 1),
      'content-disposition': options.contentDisposition,
      'accept-ranges': 'bytes',
      etag: `"${read.info.sha256}"`,
      'cache-control': `private, max-age=${options.expiresInSec}, immutable`,
      ...(read.partial ? { 'content-range': `bytes ${read.start}-${read.end}/${read.info.size}` } : {}),
    },
  };
}
