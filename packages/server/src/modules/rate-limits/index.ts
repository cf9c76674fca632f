export { registerPageReadLimit } from './page-reads.ts';
export { createRateLimits, type RateLimits, registerRateLimitHooks } from './rate-limits.ts';
