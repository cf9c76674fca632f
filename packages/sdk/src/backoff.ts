import { CloseCodes } from '@parley/protocol/client';

/** The socket's reconnect schedule unless its options say otherwise. */
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 30_000 } as const;

/**
 * How long a connect may take, from opening the socket to `ready`, before it is given up and
 * tried again on the backoff schedule. A connect to a node that is restarting can hang: the
 * kernel drops the SYNs its listen queue has no room for and retries them 1, 3, 7, 15 … s
 * later, and a browser's WebSocket has no handshake timeout of its own. Longer than a node
 * holds an upgrade request in its waiting room (`WS_CONNECT_QUEUE_MS`, 10 s by default).
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 12_000;

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
