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

/** The millisecond of the last id and the counter under it (RFC 9562 §6.2, method 1: a 12-bit counter in `rand_a`). */
let lastMs = 0;
let counter = 0;
const COUNTER_MAX = 0xfff;

/**
 * UUIDv7 (RFC 9562): time-ordered, so new rows land at the end of B-tree indexes, and
 * monotonic within the process: ids made in the same millisecond take a counter seeded at
 * random below the middle of its range, so they still sort in the order they were made (lists
 * ordered by id, such as the audit log, keep that order). An overflowing counter borrows the
 * next millisecond; a clock that steps back goes on counting under the last one. Seqs, not
 * ids, order events.
 */
export function newId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = counterStart();
  } else if (++counter > COUNTER_MAX) {
    lastMs++;
    counter = counterStart();
  }
  const bytes = Buffer.allocUnsafe(16);
  draw(16).copy(bytes);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `length` random bytes from the pool: a view into it, to copy before the next draw. */
function draw(length: number): Buffer {
  if (taken + length > POOL_BYTES) {
    randomFillSync(pool);
    taken = 0;
  }
  taken += length;
  return pool.subarray(taken - length, taken);
}

/** A random counter start in the lower half of its range, so a millisecond has at least 2,048 ids before it borrows the next. */
function counterStart(): number {
  return draw(2).readUInt16BE(0) & 0x7ff;
}

/** An opaque random token (base64url), for refresh tokens and similar secrets. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
