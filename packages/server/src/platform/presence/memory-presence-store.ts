import type { Clock } from '../time.ts';
import type { PresenceConnection, PresenceStatus, PresenceStore } from './presence-store.ts';

/**
 * Presence in this process: the default for one node. Several stores made from one
 * state behave like nodes sharing Redis (multi-node tests in one process).
 */
export class MemoryPresenceState {
  /** Per user: connection id -> expiry (epoch ms). */
  readonly users = new Map<string, Map<string, number>>();
  readonly lastSeen = new Map<string, number>();
  readonly clock: Clock;

  constructor(clock: Clock = Date.now) {
    this.clock = clock;
  }
}

export function createMemoryPresenceStore(options: { ttlMs: number; state?: MemoryPresenceState }): PresenceStore {
  const state = options.state ?? new MemoryPresenceState();
  const { users, lastSeen, clock } = state;
  let closed = false;

  function live(userId: string, now: number): Map<string, number> | undefined {
    const connections = users.get(userId);
    if (!connections) return undefined;
    for (const [id, expiry] of connections) if (expiry <= now) connections.delete(id);
    return connections;
  }

  function put(connection: PresenceConnection, ttlMs: number): boolean {
    const now = clock();
    const connections = live(connection.userId, now) ?? new Map<string, number>();
    const cameOnline = connections.size === 0;
    connections.set(connection.connectionId, now + ttlMs);
    users.set(connection.userId, connections);
    return cameOnline;
  }

  const check = () => {
    if (closed) throw new Error('presence store closed');
  };

  return {
    ttlMs: options.ttlMs,
    async add(connection) {
      check();
      return put(connection, options.ttlMs);
    },
    async remove(connection) {
      check();
      const now = clock();
      const connections = users.get(connection.userId);
      if (!connections || !connections.delete(connection.connectionId)) return null;
      if ((live(connection.userId, now)?.size ?? 0) > 0) return null;
      users.delete(connection.userId);
      lastSeen.set(connection.userId, now);
      return now;
    },
    async refresh(connections, ttlMs = options.ttlMs) {
      check();
      const back: string[] = [];
      for (const connection of connections) if (put(connection, ttlMs)) back.push(connection.userId);
      return back;
    },
    async sweep(limit) {
      check();
      const now = clock();
      const gone: Array<{ userId: string; lastSeenAt: number }> = [];
      for (const [userId, connections] of users) {
        if (gone.length >= limit) break;
        let newest = 0;
        for (const expiry of connections.values()) newest = Math.max(newest, expiry);
        if (newest > now) continue;
        users.delete(userId);
        const seen = newest - options.ttlMs;
        lastSeen.set(userId, seen);
        gone.push({ userId, lastSeenAt: seen });
      }
      return gone;
    },
    async get(userIds) {
      check();
      const now = clock();
      const result = new Map<string, PresenceStatus>();
      for (const userId of userIds) {
        let online = false;
        for (const expiry of users.get(userId)?.values() ?? []) if (expiry > now) online = true;
        result.set(userId, { online, lastSeenAt: online ? null : (lastSeen.get(userId) ?? null) });
      }
      return result;
    },
    async close() {
      closed = true;
    },
  };
}
