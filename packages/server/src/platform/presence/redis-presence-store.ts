import type { Redis } from 'ioredis';
import { LAST_SEEN_RETENTION_MS, type PresenceConnection, type PresenceStatus, type PresenceStore } from './presence-store.ts';

/**
 * Keys (under the prefix):
 * - `u:<user>`   sorted set: connection id -> expiry (ms, Redis' clock)
 * - `due`        sorted set: user -> their newest connection's expiry (what `sweep` scans)
 * - `seen:<user>` last-seen time, kept for LAST_SEEN_RETENTION_MS
 *
 * Every change runs as one Lua script on Redis' own clock: two nodes never both report
 * the same transition, and nodes' clocks do not matter. (The scripts touch keys they
 * compute from the prefix, so the store wants one Redis, not a cluster.)
 */
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: u:<user>, due. ARGV: connection, ttl, user. Returns 1 when the user came online. */
const PUT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(top[2]) - now) + 60000)
redis.call('ZADD', KEYS[2], top[2], ARGV[3])
if before == 0 then return 1 end
return 0`;

/** KEYS: u:<user>, due, seen:<user>. ARGV: connection, user, retention. Returns the last-seen time when the user went offline, else -1. */
const REMOVE = `${NOW}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #top > 0 then
  redis.call('ZADD', KEYS[2], top[2], ARGV[2])
  return -1
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], now, 'PX', ARGV[3])
return now`;

/** KEYS: due. ARGV: prefix, limit, ttl, retention. Returns [user, lastSeen, ...] of users now offline. */
const SWEEP = `${NOW}
local users = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local gone = {}
for _, id in ipairs(users) do
  local key = ARGV[1] .. 'u:' .. id
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #top == 0 then
    local seen = tonumber(redis.call('ZSCORE', KEYS[1], id)) - tonumber(ARGV[3])
    redis.call('ZREM', KEYS[1], id)
    redis.call('DEL', key)
    redis.call('SET', ARGV[1] .. 'seen:' .. id, seen, 'PX', ARGV[4])
    table.insert(gone, id)
    table.insert(gone, tostring(seen))
  else
    redis.call('ZADD', KEYS[1], top[2], id)
  end
end
return gone`;

/** ARGV: prefix, users... Returns per user '1' (online), the last-seen time, or ''. */
const GET = `${NOW}
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZCOUNT', ARGV[1] .. 'u:' .. id, '(' .. now, '+inf') > 0 then
    out[i - 1] = '1'
  else
    out[i - 1] = redis.call('GET', ARGV[1] .. 'seen:' .. id) or ''
  end
end
return out`;

type Scripts = Redis & {
  parleyPresencePut(user: string, due: string, connection: string, ttl: number, userId: string): Promise<number>;
  parleyPresenceRemove(user: string, due: string, seen: string, connection: string, userId: string, retention: number): Promise<number>;
  parleyPresenceSweep(due: string, prefix: string, limit: number, ttl: number, retention: number): Promise<string[]>;
  parleyPresenceGet(prefix: string, ...userIds: string[]): Promise<string[]>;
};

export function createRedisPresenceStore(redis: Redis, options: { ttlMs: number; prefix?: string }): PresenceStore {
  const prefix = options.prefix ?? 'parley:p:';
  const { ttlMs } = options;
  redis.defineCommand('parleyPresencePut', { numberOfKeys: 2, lua: PUT });
  redis.defineCommand('parleyPresenceRemove', { numberOfKeys: 3, lua: REMOVE });
  redis.defineCommand('parleyPresenceSweep', { numberOfKeys: 1, lua: SWEEP });
  redis.defineCommand('parleyPresenceGet', { numberOfKeys: 0, lua: GET });
  const run = redis as Scripts;
  const due = `${prefix}due`;
  const userKey = (id: string) => `${prefix}u:${id}`;

  return {
    ttlMs,
    async add(connection: PresenceConnection) {
      return (await run.parleyPresencePut(userKey(connection.userId), due, connection.connectionId, ttlMs, connection.userId)) === 1;
    },
    async remove(connection: PresenceConnection) {
      const seen = await run.parleyPresenceRemove(userKey(connection.userId), due, `${prefix}seen:${connection.userId}`, connection.connectionId, connection.userId, LAST_SEEN_RETENTION_MS);
      return seen < 0 ? null : seen;
    },
    async refresh(connections, ttl = ttlMs) {
      if (connections.length === 0) return [];
      // One round trip for the whole node (ioredis pipelines the calls).
      const pipeline = redis.pipeline() as unknown as Scripts & { exec(): Promise<Array<[Error | null, unknown]> | null> };
      for (const connection of connections) pipeline.parleyPresencePut(userKey(connection.userId), due, connection.connectionId, ttl, connection.userId);
      const results = (await pipeline.exec()) ?? [];
      const back: string[] = [];
      results.forEach(([error, value], i) => {
        if (error) throw error;
        if (value === 1) back.push(connections[i]!.userId);
      });
      return back;
    },
    async sweep(limit) {
      const flat = await run.parleyPresenceSweep(due, prefix, limit, ttlMs, LAST_SEEN_RETENTION_MS);
      const gone: Array<{ userId: string; lastSeenAt: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) gone.push({ userId: flat[i]!, lastSeenAt: Number(flat[i + 1]) });
      return gone;
    },
    async get(userIds) {
      const result = new Map<string, PresenceStatus>();
      if (userIds.length === 0) return result;
      const values = await run.parleyPresenceGet(prefix, ...userIds);
      userIds.forEach((userId, i) => {
        const value = values[i] ?? '';
        result.set(userId, value === '1' ? { online: true, lastSeenAt: null } : { online: false, lastSeenAt: value === '' ? null : Number(value) });
      });
      return result;
    },
    async close() {
      // The connection belongs to the caller (shared with the rate limiter).
    },
  };
}
