import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/** How long `quitRedis` waits for QUIT before cutting the connection (Redis may be down). */
const QUIT_GRACE_MS = 1_000;
/** Idle time before TCP keep-alive probes start, so a dead peer is noticed on a quiet connection too. */
const KEEP_ALIVE_MS = 10_000;
const COMMAND_TIMED_OUT = 'Command timed out';

export interface RedisClientOptions {
  /** A command unanswered this long fails, and the connection is dropped and reopened. */
  commandTimeoutMs?: number;
}

/**
 * A Redis connection for shared state (presence, rate-limit buckets). No offline queue
 * and one retry per command: while Redis is away commands fail at once and callers fall
 * back (rate limits per node) or skip (presence refresh), instead of queueing in memory.
 *
 * A refused or reset connection is noticed at once; a silent partition (packets dropped)
 * is not: commands written to it would wait until TCP gives up, minutes later, and every
 * send waits on the rate limiter. So each command has a timeout, and a timed-out command
 * also drops the connection: the commands after it then fail at once (no offline queue)
 * instead of each waiting out its own timeout, until a reconnect answers again.
 */
export async function connectRedis(url: string, logger: Logger, role: string, options: RedisClientOptions = {}): Promise<Redis> {
  const commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    // A new connection that does not answer is given up as quickly as a command; commands
    // meanwhile fail at once, so this bounds only how soon the next attempt starts.
    connectTimeout: Math.max(commandTimeoutMs, 1_000),
    keepAlive: KEEP_ALIVE_MS,
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
  dropConnectionOnTimeout(client, logger, role);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}

/**
 * Watches every command (ioredis reports a timeout only to the caller) and, on the first
 * that timed out on the current connection, destroys that connection's socket: ioredis
 * then reconnects as after any drop. Destroy, not end: a FIN would be lost in the same
 * partition and the socket would linger half-closed.
 */
function dropConnectionOnTimeout(client: Redis, logger: Logger, role: string): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command, stream) => {
    const result = send(command, stream);
    const socket = client.stream;
    command.promise.catch((error: unknown) => {
      if (!(error instanceof Error) || error.message !== COMMAND_TIMED_OUT) return;
      if (client.stream !== socket || socket.destroyed) return;
      logger.warn({ connection: role }, 'redis command timed out; reconnecting');
      socket.destroy();
    });
    return result;
  }) as typeof client.sendCommand;
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
