import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/** How long `quitRedis` waits for QUIT before cutting the connection (Redis may be down). */
const QUIT_GRACE_MS = 1_000;

/**
 * A Redis connection for shared state (presence, rate-limit buckets). No offline queue
 * and one retry per command: while Redis is away commands fail at once and callers fall
 * back (rate limits per node) or skip (presence refresh), instead of queueing in memory.
 */
export async function connectRedis(url: string, logger: Logger, role: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands issued in the same tick go out in one write: a reconnect storm's rate-limit
    // and presence scripts cost one syscall per batch instead of one each.
    enableAutoPipelining: true,
    connectionName: `parley-${role}`.replace(/[^\x21-\x7e]/g, '_'),
  });
  let lastReport = 0;
  client.on('error', (error: Error) => {
    // A reconnect loop would otherwise log many lines a second.
    if (Date.now() - lastReport < 5_000) return;
    lastReport = Date.now();
    logger.warn({ err: error.message, connection: role }, 'redis error');
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}

export async function quitRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.quit().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, QUIT_GRACE_MS)))]);
  clearTimeout(timer);
  if ((client.status as string) !== 'end') client.disconnect();
}
