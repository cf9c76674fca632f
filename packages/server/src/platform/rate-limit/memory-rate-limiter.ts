import type { Clock } from '../time.ts';
import { type BucketRule, type RateDecision, type RateLimiter, takeFrom } from './rate-limiter.ts';

/** Buckets kept before full ones are forgotten (a full bucket is the same as no bucket). */
const MAX_BUCKETS = 100_000;

/**
 * Buckets in this process: the default for one node, and the fallback of the Redis
 * limiter while Redis is unreachable. Memory is bounded: past MAX_BUCKETS, buckets that
 * have refilled are dropped, then the oldest.
 */
export function createMemoryRateLimiter(clock: Clock = Date.now, maxBuckets = MAX_BUCKETS): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number; full: number }>();

  function prune(now: number): void {
    for (const [key, bucket] of buckets) if (bucket.full <= now) buckets.delete(key);
    // Still too many: the least recently touched go (Map keeps insertion order; touching re-inserts).
    for (const key of buckets.keys()) {
      if (buckets.size <= maxBuckets * 0.9) break;
      buckets.delete(key);
    }
  }

  return {
    async take(key: string, rule: BucketRule, cost = 1): Promise<RateDecision> {
      const now = clock();
      const state = buckets.get(key);
      const { tokens, decision } = takeFrom(state, rule, cost, now);
      buckets.delete(key);
      const full = rule.refillPerSec > 0 ? now + Math.ceil(((rule.capacity - tokens) / rule.refillPerSec) * 1000) : Number.MAX_SAFE_INTEGER;
      buckets.set(key, { tokens, at: now, full });
      if (buckets.size > maxBuckets) prune(now);
      return decision;
    },
    async close() {
      buckets.clear();
    },
  };
}
