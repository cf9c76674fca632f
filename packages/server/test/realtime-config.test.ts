import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/index.ts';

describe('configuration of receipts, typing, presence, rate limits, overload and shutdown', () => {
  it('has defaults generous enough for normal use', () => {
    const config = loadConfig({});
    assert.deepEqual(config.rateLimits.sendsPerUser, { capacity: 600, refillPerSec: 60 });
    assert.deepEqual(config.rateLimits.loginsPerHandle, { capacity: 10, refillPerSec: 0.1 });
    assert.equal(config.realtime.receiptsMaxGroup, 1_000);
    assert.equal(config.realtime.presenceTtlMs, 30_000);
    assert.deepEqual(config.shutdown, { delayMs: 0, drainWindowMs: 5_000, drainGraceMs: 10_000 });
    assert.deepEqual(config.overload, { maxConnections: 20_000, eventLoopLagMs: 1_000, maxPendingConnects: 200, connectQueue: 5_000, connectQueueMs: 10_000 });
    assert.equal(config.trustProxy, false);
    assert.equal(config.redisKeyPrefix, 'parley:');
    assert.equal(loadConfig({ REDIS_KEY_PREFIX: 'tenant-7:' }).redisKeyPrefix, 'tenant-7:');
  });

  it('reads token buckets as capacity:refillPerSecond, and off (or 0) as no limit', () => {
    const config = loadConfig({ RATE_LIMIT_SENDS_PER_USER: '5:0.25', RATE_LIMIT_LOGINS_PER_IP: 'off', RATE_LIMIT_CONNECTS_PER_IP: '0' });
    assert.deepEqual(config.rateLimits.sendsPerUser, { capacity: 5, refillPerSec: 0.25 });
    assert.equal(config.rateLimits.loginsPerIp, null);
    assert.equal(config.rateLimits.connectsPerIp, null);
  });

  it('fails naming the variable for an invalid value', () => {
    for (const [name, value] of [
      ['RATE_LIMIT_SENDS_PER_USER', '10'], ['RATE_LIMIT_SENDS_PER_IP', 'a:b'], ['RATE_LIMIT_LOGINS_PER_HANDLE', '0:1'], ['RATE_LIMIT_CONNECTS_PER_USER', '5:0'],
      ['TYPING_TTL_MS', '10'], ['PRESENCE_TTL_MS', 'soon'], ['RECEIPTS_MAX_GROUP', '1'], ['WS_MAX_CONNECTIONS', '0'], ['DRAIN_WINDOW_MS', '-1'], ['TRUST_PROXY', 'maybe'],
      ['REDIS_KEY_PREFIX', 'has space'], ['REDIS_KEY_PREFIX', 'x'.repeat(65)],
    ] as const) {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.variable === name, `${name}=${value}`);
    }
  });
});
