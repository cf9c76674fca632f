import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { createMemoryRateLimiter } from './memory-rate-limiter.ts';
import type { BucketRule, RateDecision, RateLimiter } from './rate-limiter.ts';

/**
 * One bucket per key as a hash {tokens, at}, refilled and taken atomically in Lua with
 * Redis' own clock (nodes' clocks may disagree; TIME does not), and expiring once it
 * would be full again, so idle buckets cost nothing.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if state[1] then
  tokens = math.min(capacity, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * perMs)
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
elseif perMs > 0 then
  retry = math.ceil((cost - tokens) / perMs)
else
  retry = -1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
if perMs > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
end
return {allowed, retry, tostring(tokens)}
`;

/**
 * Buckets shared by every node through Redis. While Redis cannot answer, the node
 * falls back to its own buckets (logged once per outage): a limiter must not take the
 * service down with it, and per-node limits still bound each node.
 */
export function createRedisRateLimiter(redis: Redis, logger: Logger, prefix = 'parley:rl:'): RateLimiter {
  const fallback = createMemoryRateLimiter();
  let degraded = false;
  redis.defineCommand('parleyTakeToken', { numberOfKeys: 1, lua: TAKE });
  const run = redis as Redis & { parleyTakeToken(key: string, capacity: string, perMs: string, cost: string): Promise<[number, number, string]> };

  return {
    async take(key: string, rule: BucketRule, cost = 1): Promise<RateDecision> {
      try {
        const [allowed, retry, tokens] = await run.parleyTakeToken(prefix + key, String(rule.capacity), String(rule.refillPerSec / 1000), String(cost));
        if (degraded) {
          degraded = false;
          logger.info('rate limiter: Redis answers again');
        }
        return { allowed: allowed === 1, remaining: Math.floor(Number(tokens)), retryAfterMs: retry < 0 ? Number.MAX_SAFE_INTEGER : retry };
      } catch (error) {
        if (!degraded) {
          degraded = true;
          logger.warn({ err: error instanceof Error ? error.message : error }, 'rate limiter: Redis unavailable, limiting per node meanwhile');
        }
        return fallback.take(key, rule, cost);
      }
    },
    async close() {
      await fallback.close();
    },
  };
}
