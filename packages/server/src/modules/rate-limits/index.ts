export { createRateLimits, type RateLimits, registerRateLimitHooks } from './rate-limits.ts';
