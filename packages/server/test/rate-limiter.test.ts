import { createLogger } from '../src/platform/logger.ts';
import { connectRedis, quitRedis } from '../src/platform/redis-client.ts';
import { createMemoryRateLimiter, createRedisRateLimiter } from '../src/platform/rate-limit/index.ts';
import { rateLimiterConformance } from '../src/platform/rate-limit/rate-limit.conformance.ts';
import { hasRedis, redisUrl } from './support/services.ts';

const logger = createLogger({ level: 'silent', nodeId: 'test' });

rateLimiterConformance('in-process', async () => createMemoryRateLimiter());

if (hasRedis) {
  rateLimiterConformance('Redis', async () => {
    const redis = await connectRedis(redisUrl, logger, 'rate-limit-test');
    const limiter = createRedisRateLimiter(redis, logger, `parley-test:${process.pid}:rl:`);
    return { take: limiter.take, close: async () => { await limiter.close(); await quitRedis(redis); } };
  });
}
