import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented admin key with the configured one in constant time. Both are
 * hashed first so the comparison never depends on (or reveals) the key's length.
 */
export function createAdminKeyCheck(configured: string | null): (presented: string | undefined) => boolean {
  if (!configured) return () => false;
  const expected = createHash('sha256').update(configured).digest();
  return (presented) => {
    if (!presented) return false;
    const actual = createHash('sha256').update(presented).digest();
    return timingSafeEqual(actual, expected);
  };
}
