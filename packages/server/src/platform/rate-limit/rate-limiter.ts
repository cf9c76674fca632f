/**
 * Token buckets: a bucket holds up to `capacity` tokens and gains `refillPerSec` per
 * second; each action takes one. Bursts up to the capacity pass, the sustained rate is
 * the refill. Every implementation passes `rate-limit.conformance.ts`.
 */
export interface BucketRule {
  capacity: number;
  refillPerSec: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this take. */
  remaining: number;
  /** When refused: how long until the take would pass. 0 when allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from the bucket `key` if it has them. */
  take(key: string, rule: BucketRule, cost?: number): Promise<RateDecision>;
  close(): Promise<void>;
}

/** The arithmetic both twins share: refill since `at`, then take. */
export function takeFrom(state: { tokens: number; at: number } | undefined, rule: BucketRule, cost: number, now: number): { tokens: number; decision: RateDecision } {
  const perMs = rule.refillPerSec / 1000;
  const elapsed = state ? Math.max(0, now - state.at) : 0;
  let tokens = state ? Math.min(rule.capacity, state.tokens + elapsed * perMs) : rule.capacity;
  if (tokens >= cost) {
    tokens -= cost;
    return { tokens, decision: { allowed: true, remaining: Math.floor(tokens), retryAfterMs: 0 } };
  }
  const retryAfterMs = perMs > 0 ? Math.ceil((cost - tokens) / perMs) : Number.MAX_SAFE_INTEGER;
  return { tokens, decision: { allowed: false, remaining: 0, retryAfterMs } };
}
