import { CloseCodes } from '@parley/protocol/client';

/** The socket's reconnect schedule unless its options say otherwise. */
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;

/**
 * Exponential backoff with full jitter: after a server restart thousands of clients
 * spread their reconnects over the whole window instead of arriving together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(random() * ceiling);
}

/**
 * How long to wait before reconnecting after a close with `closeCode`: the backoff, never under
 * a second when the server asked for patience (4002, 1013; the socket also passes 1013 for a
 * handshake that failed, which is how a connect storm's HTTP 503 looks to a browser).
 */
export function reconnectDelay(closeCode: number, attempt: number, baseMs: number = DEFAULT_BACKOFF.baseMs, maxMs: number = DEFAULT_BACKOFF.maxMs, random: () => number = Math.random): number {
  const floor = closeCode === CloseCodes.overloaded || closeCode === CloseCodes.tryAgainLater ? 1_000 : 0;
  return floor + backoffDelay(attempt, baseMs, maxMs, random);
}
