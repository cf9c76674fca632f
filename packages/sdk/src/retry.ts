import { ParleyError } from './errors.ts';

/**
 * The wait before retry number `tries` (0-based) of a command: exponential from 200 ms up
 * to 5 s, with jitter so the clients of one outage do not retry together; never sooner
 * than the server's `retryAfterMs` hint (a rate limit says when to come back).
 */
export function commandRetryDelay(tries: number, hintedMs = 0, random: () => number = Math.random): number {
  return Math.max(hintedMs, Math.min(5_000, 200 * 2 ** Math.min(tries, 5)) * (0.5 + random() / 2));
}

/**
 * Runs `attempt` until it succeeds, retrying only retryable ParleyErrors (disconnects,
 * timeouts, overload, rate limits) and only while `mayRetry(tries)` says so. Safe for
 * sends because they are idempotent by client message id.
 */
export async function retryRetryable<T>(attempt: () => Promise<T>, mayRetry: (tries: number) => boolean): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ParleyError) || !error.retryable || !mayRetry(tries)) throw error;
      const hinted = Number((error.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs ?? 0) || 0;
      await new Promise((resolve) => setTimeout(resolve, commandRetryDelay(tries, hinted)));
    }
  }
}
