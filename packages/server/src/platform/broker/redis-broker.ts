import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Broker } from './broker.ts';

/** How long close() waits for QUIT before cutting the connection (Redis may be down). */
const QUIT_GRACE_MS = 1_000;

/** Redis client names may not contain spaces or control characters. */
const clientName = (role: string, prefix: string) => `parley-broker-${role}:${prefix}`.replace(/[^\x21-\x7e]/g, '_');

/**
 * Redis pub/sub: one connection publishes, one subscribes. Redis drops what was
 * published while the subscriber was away, so after a reconnect the broker subscribes
 * every channel it holds again and only *then* reports a gap: sessions told to resync
 * read the logs at a moment when live delivery already works again, so nothing falls
 * between the two. (ioredis' own auto-resubscribe is off because it gives no signal
 * when the re-subscription is confirmed.)
 *
 * Connections are named `parley-broker-pub:<prefix>` and `parley-broker-sub:<prefix>`
 * (see CLIENT LIST).
 */
export async function createRedisBroker(url: string, logger: Logger, prefix = 'parley:'): Promise<Broker> {
  const options = { lazyConnect: true, maxRetriesPerRequest: null, autoResubscribe: false } as const;
  // No offline queue for publishing: while Redis is away a publish fails at once instead of
  // piling up in memory (bounded everything); clients find those events in the logs.
  const publisher = new Redis(url, { ...options, enableAutoPipelining: true, enableOfflineQueue: false, connectionName: clientName('pub', prefix) });
  const subscriber = new Redis(url, { ...options, enableAutoPipelining: false, connectionName: clientName('sub', prefix) });
  let handler: (channel: string, message: string) => void = () => {};
  const gapHandlers: Array<() => void> = [];
  /** What this node wants to hear: the source of truth for re-subscribing after a reconnect. */
  const wanted = new Set<string>();
  let connectedOnce = false;
  let closed = false;

  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error: Error) => logger.warn({ err: error.message, connection: name }, 'redis broker error'));
  }
  subscriber.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    const channels = [...wanted];
    const resubscribed = channels.length > 0 ? subscriber.subscribe(...channels) : Promise.resolve();
    resubscribed.then(
      () => {
        if (closed) return;
        logger.warn({ channels: channels.length }, 'redis broker reconnected and resubscribed; sessions will resync');
        for (const gap of gapHandlers) gap();
      },
      // The connection dropped again: the next 'ready' resubscribes and reports the gap.
      (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : error }, 'redis broker could not resubscribe yet'),
    );
  });
  subscriber.on('message', (channel: string, message: string) => {
    if (closed || !channel.startsWith(prefix)) return;
    try {
      handler(channel.slice(prefix.length), message);
    } catch (error) {
      // Thrown inside ioredis' socket handler it would take the process down.
      logger.error({ err: error, channel }, 'broker message handler failed');
    }
  });

  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    // ioredis keeps retrying a failed first connect in the background: stop it.
    publisher.disconnect();
    subscriber.disconnect();
    throw error;
  }

  async function quit(client: Redis): Promise<void> {
    if (client.status === 'end') return;
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.quit().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, QUIT_GRACE_MS)))]);
    clearTimeout(timer);
    // Still open when QUIT got no answer in time: cut it.
    if ((client.status as string) !== 'end') client.disconnect();
  }

  return {
    async publish(channel, message) {
      if (closed) throw new Error('broker closed');
      await publisher.publish(prefix + channel, message);
    },
    async subscribe(channels) {
      if (closed) throw new Error('broker closed');
      if (channels.length === 0) return;
      for (const channel of channels) wanted.add(prefix + channel);
      await subscriber.subscribe(...channels.map((c) => prefix + c));
    },
    async unsubscribe(channels) {
      if (closed || channels.length === 0) return;
      for (const channel of channels) wanted.delete(prefix + channel);
      await subscriber.unsubscribe(...channels.map((c) => prefix + c));
    },
    onMessage(h) {
      handler = h;
    },
    onGap(h) {
      gapHandlers.push(h);
    },
    async close() {
      closed = true;
      wanted.clear();
      await Promise.all([quit(publisher), quit(subscriber)]);
    },
  };
}
