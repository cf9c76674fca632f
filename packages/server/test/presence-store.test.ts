import { randomBytes } from 'node:crypto';
import { createLogger } from '../src/platform/logger.ts';
import { connectRedis, quitRedis } from '../src/platform/redis-client.ts';
import { createMemoryPresenceStore, createRedisPresenceStore, MemoryPresenceState, type PresenceStore } from '../src/platform/presence/index.ts';
import { presenceConformance } from '../src/platform/presence/presence.conformance.ts';
import { hasRedis, redisUrl } from './support/services.ts';

const logger = createLogger({ level: 'silent', nodeId: 'test' });

presenceConformance('in-process', async (ttlMs) => {
  const state = new MemoryPresenceState();
  return [createMemoryPresenceStore({ ttlMs, state }), createMemoryPresenceStore({ ttlMs, state })];
});

if (hasRedis) {
  presenceConformance('Redis', async (ttlMs) => {
    // Two connections, like two nodes; a prefix of their own so parallel runs never meet.
    const prefix = `parley-test:${randomBytes(4).toString('hex')}:p:`;
    const node = async (): Promise<PresenceStore> => {
      const redis = await connectRedis(redisUrl, logger, 'presence-test');
      const store = createRedisPresenceStore(redis, { ttlMs, prefix });
      return { ...store, ttlMs, close: () => quitRedis(redis) };
    };
    return [await node(), await node()];
  });
}
