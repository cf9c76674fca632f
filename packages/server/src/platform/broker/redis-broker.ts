import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Broker } from './broker.ts';

/**
 * Redis pub/sub: one connection publishes, one subscribes. ioredis re-subscribes after a
 * reconnect; since Redis drops what was published meanwhile, a reconnect is reported as
 * a gap so the gateway can tell its sessions to resync from the logs.
 */
export async function createRedisBroker(url: string, logger: Logger, prefix = 'parley:'): Promise<Broker> {
  const options = { lazyConnect: true, maxRetriesPerRequest: null, enableAutoPipelining: true } as const;
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, enableAutoPipelining: false });
  let handler: (channel: string, message: string) => void = () => {};
  const gapHandlers: Array<() => void> = [];
  let connectedOnce = false;

  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error: Error) => logger.warn({ err: error.message, connection: name }, 'redis broker error'));
  }
  subscriber.on('ready', () => {
    if (connectedOnce) {
      logger.warn('redis broker reconnected; sessions will resync');
      for (const gap of gapHandlers) gap();
    }
    connectedOnce = true;
  });
  subscriber.on('message', (channel: string, message: string) => {
    if (channel.startsWith(prefix)) handler(channel.slice(prefix.length), message);
  });

  await Promise.all([publisher.connect(), subscriber.connect()]);

  return {
    async publish(channel, message) {
      await publisher.publish(prefix + channel, message);
    },
    async subscribe(channels) {
      if (channels.length > 0) await subscriber.subscribe(...channels.map((c) => prefix + c));
    },
    async unsubscribe(channels) {
      if (channels.length > 0) await subscriber.unsubscribe(...channels.map((c) => prefix + c));
    },
    onMessage(h) {
      handler = h;
    },
    onGap(h) {
      gapHandlers.push(h);
    },
    async close() {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
