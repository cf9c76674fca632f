export type { PresenceConnection, PresenceStatus, PresenceStore } from './presence-store.ts';
export { createMemoryPresenceStore, MemoryPresenceState } from './memory-presence-store.ts';
export { createRedisPresenceStore } from './redis-presence-store.ts';
