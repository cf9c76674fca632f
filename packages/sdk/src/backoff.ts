/**
 * Exponential backoff with full jitter: after a server restart thousands of clients
 * spread their reconnects over the whole window instead of arriving together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(random() * ceiling);
}
