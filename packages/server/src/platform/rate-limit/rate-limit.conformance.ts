import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RateDecision, RateLimiter } from './rate-limiter.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The contract of `RateLimiter`, run against every implementation (with the real clock).
 * Independent of the machine's speed: a rule refills slowly next to the time its takes
 * can take on a loaded machine, unless the test waits for the refill (a lower bound that
 * no delay breaks).
 */
export function rateLimiterConformance(name: string, makeLimiter: () => Promise<RateLimiter>): void {
  describe(`the ${name} rate limiter (conformance)`, () => {
    let limiter: RateLimiter;
    const run = randomBytes(4).toString('hex');
    let keys = 0;
    const fresh = () => `k:${run}:${++keys}`;

    beforeEach(async () => {
      limiter = await makeLimiter();
    });
    afterEach(() => limiter.close());

    it('lets a burst up to the capacity pass, then refuses with a retry-after of about one refill interval', async () => {
      const key = fresh();
      // One token per 10 s: the burst would have to take seconds before a refill muddles the counts.
      const rule = { capacity: 5, refillPerSec: 0.1 };
      for (let i = 0; i < 5; i++) {
        const decision = await limiter.take(key, rule);
        assert.equal(decision.allowed, true, `take ${i + 1} of the burst`);
        assert.equal(decision.remaining, 4 - i);
      }
      const refused = await limiter.take(key, rule);
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 5_000 && refused.retryAfterMs <= 10_000, `retry after ${refused.retryAfterMs} ms`);
    });

    it('recovers: after the retry-after a take passes again', async () => {
      const key = fresh();
      // The first take empties the bucket; the next is refused unless a slow machine let a
      // whole refill interval pass in between, in which case the bucket is emptied again.
      const rule = { capacity: 1, refillPerSec: 4 };
      let refused: RateDecision | undefined;
      for (let attempt = 0; attempt < 20 && !refused; attempt++) {
        const decision = await limiter.take(key, rule);
        if (!decision.allowed) refused = decision;
      }
      assert.ok(refused, 'a take right after the bucket was emptied is refused');
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 250, `retry after ${refused.retryAfterMs} ms`);
      await sleep(refused.retryAfterMs + 20);
      assert.equal((await limiter.take(key, rule)).allowed, true);
    });

    it('never refills beyond the capacity, however long the bucket was idle', async () => {
      const key = fresh();
      // Idle for 300 ms at 20 tokens/s would be 6 tokens uncapped. The check asks for more
      // than the capacity in one take, so the refill during the check (a token per 50 ms)
      // cannot make it pass on a slow machine.
      const rule = { capacity: 3, refillPerSec: 20 };
      await limiter.take(key, rule);
      await sleep(300);
      assert.equal((await limiter.take(key, rule, 4)).allowed, false, 'more than the capacity is never there');
      assert.equal((await limiter.take(key, rule, 3)).allowed, true, 'the full capacity is');
    });

    it('keeps buckets apart by key and charges costs above one', async () => {
      const [x, y] = [fresh(), fresh()];
      const rule = { capacity: 4, refillPerSec: 0.1 };
      assert.equal((await limiter.take(x, rule, 3)).allowed, true);
      assert.equal((await limiter.take(x, rule, 3)).allowed, false, 'one token left, three asked');
      assert.equal((await limiter.take(y, rule, 4)).allowed, true, 'another key has its own bucket');
    });

    it('never lets concurrent takes overspend a bucket', async () => {
      const key = fresh();
      const rule = { capacity: 10, refillPerSec: 0.01 };
      const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.take(key, rule)));
      assert.equal(decisions.filter((d) => d.allowed).length, 10);
    });
  });
}
