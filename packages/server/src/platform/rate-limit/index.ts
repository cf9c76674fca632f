export type { BucketRule, RateDecision, RateLimiter } from './rate-limiter.ts';
export { createMemoryRateLimiter } from './memory-rate-limiter.ts';
export { createRedisRateLimiter } from './redis-rate-limiter.ts';
