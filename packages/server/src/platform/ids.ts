import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, drawn from the system's generator 4 KiB at a time: one draw per id
 * was a measurable part of a send's CPU (each is a call into OpenSSL), as it is for
 * `crypto.randomUUID`, which keeps a cache the same way. Ids identify, they are not secrets
 * (`newSecret` draws its own bytes).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let taken = POOL_BYTES;

/**
 * UUIDv7 (RFC 9562): time-ordered, so new rows land at the end of B-tree indexes.
 * Ids only identify; nothing is ordered by them (seqs order events).
 */
export function newId(now = Date.now()): string {
  if (taken + 16 > POOL_BYTES) {
    randomFillSync(pool);
    taken = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  pool.copy(bytes, 0, taken, taken + 16);
  taken += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An opaque random token (base64url), for refresh tokens and similar secrets. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
