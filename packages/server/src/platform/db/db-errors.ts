/** Driver errors we act on, recognized the same way on both dialects. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** PostgreSQL asks for a retry on deadlocks and serialization failures; the transaction had no effect. */
export function isRetryableTransactionError(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === '40P01' || e?.code === '40001';
}
