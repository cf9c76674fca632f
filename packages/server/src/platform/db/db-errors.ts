/** Driver errors we act on, recognized the same way on both dialects. */

/**
 * The store cannot take the request now: the embedded store's writer thread is gone, or the
 * store is closing. Served as `unavailable` (retryable): nothing of the request was kept
 * unless it was answered before.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/**
 * A write carried from one work of a group commit to the next one's round trip (see
 * `Database.carryWrites`) failed. Which work it belonged to is not known at that point, so the
 * batch is rolled back and run again with each work sending its own writes; the error itself
 * then reaches the work that made it. `cause` is the store's error.
 */
export class CarriedWriteError extends Error {
  override readonly name = 'CarriedWriteError';
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** PostgreSQL asks for a retry on deadlocks and serialization failures; the transaction had no effect. */
export function isRetryableTransactionError(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '40P01' || e?.code === '40001';
}

/**
 * PostgreSQL server conditions that mean "the database is restarting, failing over or full
 * of connections", not "this request is wrong": class 08 (connection exception), 57P01–57P03
 * (shut down by an administrator, crashed, not accepting connections yet), 53300 (too many
 * connections).
 */
const UNREACHABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors from the driver's TCP connection (a refused, reset or timed-out connect). */
const UNREACHABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres reports a cut connection by message only. */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  // Kysely, for a query that starts after the store began to close (a node shutting down).
  'driver has already been destroyed',
];

/**
 * True when the store could not be reached or went away mid-request (a PostgreSQL restart
 * or failover, SQLite busy past its timeout, the embedded store's writer gone, a store that
 * is closing). The request may or may not have taken effect; the caller retries, and
 * idempotent sends make that safe.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e instanceof DatabaseUnavailableError) return true;
  if (typeof e.code === 'string') {
    if (e.code.startsWith('08') && e.code.length === 5) return true;
    if (UNREACHABLE_SQLSTATES.has(e.code) || UNREACHABLE_SOCKET_CODES.has(e.code) || e.code === 'SQLITE_BUSY') return true;
  }
  return typeof e.message === 'string' && UNREACHABLE_MESSAGES.some((start) => (e.message as string).startsWith(start));
}
