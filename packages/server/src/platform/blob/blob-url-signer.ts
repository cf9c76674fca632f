import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';
import { type Clock, systemClock } from '../time.ts';
import { assertBlobKey } from './blob-keys.ts';

/** Like S3's presigned URLs: a link lives at most a week. */
export const MAX_SIGNED_URL_TTL_SEC = 7 * 24 * 3600;

/**
 * Short-lived read links for the local-disk store, S3's presigned URLs made by hand:
 * `<basePath><key>?expires=<epoch seconds>&sig=<HMAC-SHA256(key, expires), base64url>`.
 * The route serving `basePath` calls `verify` with the key from the path and the query;
 * nothing else grants access, so the link works for anyone holding it until it expires.
 */
export interface BlobUrlSigner {
  sign(key: string, expiresInSec: number): string;
  /** Throws `forbidden` unless `sig` matches the key and `expires` and that time is still ahead. */
  verify(key: string, query: { expires?: unknown; sig?: unknown }): void;
}

export interface BlobUrlSignerOptions {
  /**
   * The node's secret (the access-token key: configured `JWT_SECRET` or the one generated
   * into `DATA_DIR`, the same on every node). The MAC key is derived from it with HKDF, so
   * a link's signature can never serve as a token signature or the reverse.
   */
  secret: Uint8Array;
  /** Where the serving route is mounted, ending with `/`. */
  basePath?: string;
  clock?: Clock;
}

export const DEFAULT_BLOB_URL_PATH = '/v1/blobs/';

export function createBlobUrlSigner({ secret, basePath = DEFAULT_BLOB_URL_PATH, clock = systemClock }: BlobUrlSignerOptions): BlobUrlSigner {
  if (!basePath.startsWith('/') || !basePath.endsWith('/')) throw new Error('basePath must start and end with /');
  const macKey = Buffer.from(hkdfSync('sha256', secret, 'parley', 'blob read url v1', 32));
  const mac = (key: string, expires: number): Buffer => createHmac('sha256', macKey).update(`${key}\n${expires}`).digest();

  return {
    sign(key, expiresInSec) {
      assertBlobKey(key);
      if (!Number.isSafeInteger(expiresInSec) || expiresInSec < 1 || expiresInSec > MAX_SIGNED_URL_TTL_SEC) {
        throw new AppError('bad_request', `A signed URL lives from 1 to ${MAX_SIGNED_URL_TTL_SEC} seconds.`);
      }
      const expires = Math.floor(clock() / 1000) + expiresInSec;
      return `${basePath}${key}?expires=${expires}&sig=${mac(key, expires).toString('base64url')}`;
    },
    verify(key, { expires, sig }) {
      assertBlobKey(key);
      if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof sig !== 'string') throw invalid();
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(key, Number(expires));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      // Checked after the signature, so only a genuine link is told that it expired.
      if (Number(expires) * 1000 <= clock()) throw new AppError('forbidden', 'The link has expired.', { reason: 'expired' });
    },
  };
}

const invalid = (): AppError => new AppError('forbidden', 'The link is not valid.', { reason: 'invalid' });
