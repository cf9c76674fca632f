/**
 * Who is connected, shared by every node. A user is online while any of their
 * connections is live; every connection expires `ttlMs` after it was added or last
 * refreshed, so the users of a node that dies without saying goodbye go offline within
 * the TTL (the nodes that live on find them with `sweep`). Every implementation passes
 * `presence.conformance.ts`.
 */
export interface PresenceConnection {
  userId: string;
  /** Unique across the cluster: the node id and a number of the node's own. */
  connectionId: string;
}

export interface PresenceStatus {
  online: boolean;
  /** Epoch ms: when the last connection ended (or, after a node died, was last refreshed); null when unknown. */
  lastSeenAt: number | null;
}

export interface PresenceStore {
  readonly ttlMs: number;
  /** Records a live connection; true when that brought the user online (a change others should hear of). */
  add(connection: PresenceConnection): Promise<boolean>;
  /** Forgets a connection; the last-seen time when that took the user offline, otherwise null. */
  remove(connection: PresenceConnection): Promise<number | null>;
  /**
   * The node's heartbeat: these connections live another `ttlMs` (default: the store's
   * TTL; a shorter one lets a draining node's users expire soon unless they come back
   * elsewhere). Resolves with the users this brought back online (their connections had
   * expired meanwhile, for example while the node was stalled).
   */
  refresh(connections: readonly PresenceConnection[], ttlMs?: number): Promise<string[]>;
  /**
   * Users whose every connection expired without a goodbye: forgotten, and reported to
   * exactly one caller across all nodes, with when they were last seen.
   */
  sweep(limit: number): Promise<Array<{ userId: string; lastSeenAt: number }>>;
  get(userIds: readonly string[]): Promise<Map<string, PresenceStatus>>;
  close(): Promise<void>;
}

/** How long a last-seen time is kept after the user went offline. */
export const LAST_SEEN_RETENTION_MS = 90 * 24 * 3600 * 1000;
