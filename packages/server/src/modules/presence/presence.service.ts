import { randomBytes } from 'node:crypto';
import type { Presence, PresenceFrame, PresencePrivacy } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import type { EphemeralPublisher } from '../../platform/ephemeral.ts';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { PresenceStore } from '../../platform/presence/index.ts';
import type { Clock } from '../../platform/time.ts';
import { isoOrNull } from '../../platform/time.ts';
import { appendUserEvent, type UnitOfWork } from '../logs/index.ts';
import * as repo from './presence.repository.ts';

export interface PresenceDeps {
  db: Database;
  uow: UnitOfWork;
  store: PresenceStore;
  ephemeral: EphemeralPublisher;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  /** Direct-conversation peers told of one change (most recently active first). */
  fanoutMax: number;
}

/** Users swept per round; more wait for the next round (a second later). */
const SWEEP_BATCH = 500;

/**
 * Users coming online are gathered this long and announced together, the peers and privacy
 * of up to ANNOUNCE_CHUNK of them read in a few queries: in a reconnect storm thousands come
 * online within seconds (some of them more than once), and reading each one's peers, privacy
 * and blocks on its own was most of a connect's cost. Going offline is announced at once
 * (and drops a gathered online of the same user), so who may see it is decided when it happens.
 */
const ANNOUNCE_BATCH_MS = 100;
/** Users of a batch whose peers are read together (`visiblePeersOfMany`). */
const ANNOUNCE_CHUNK = 200;
/** Peers named in one blocks query at most (SQLite takes at most 32,766 values in a statement). */
const MAX_PEERS_PER_QUERY = 5_000;
/**
 * Users whose last-seen time one statement stores. Departures that come together (sockets
 * dropped by the thousand, a dead node's users swept offline) are stored together: one write
 * each was, on the embedded store, a COMMIT and its fsync each, and every send waited behind
 * them on the writer (5,000 sockets closing took the writer seconds).
 */
const LAST_SEEN_CHUNK = 500;

export type PresenceService = ReturnType<typeof createPresenceService>;

/**
 * Online / offline / last seen. Connections are recorded in the presence store (shared
 * through Redis when configured) and kept alive by this node's heartbeat; a node that
 * dies stops refreshing, its entries expire after the store's TTL and a surviving node's
 * sweep announces those users offline.
 *
 * A change is announced to (a) the user's direct-conversation peers, pushed to their
 * sessions, and (b) sockets that subscribed to the user explicitly; never to the members
 * of a group. Who may see it — the user's privacy setting (everyone / contacts / nobody)
 * and blocks — is decided here (`view`, `visiblePeers`) and nowhere else.
 */
export function createPresenceService({ db, uow, store, ephemeral, clock, logger, nodeId, fanoutMax }: PresenceDeps) {
  const kysely = db.kysely;
  /** This node's live connections: presence id -> user, and the store write in flight for it. */
  const local = new Map<string, { userId: string; pending: Promise<unknown> }>();
  const boot = randomBytes(4).toString('hex');
  let serial = 0;
  let draining = false;
  let closed = false;
  let timers: NodeJS.Timeout[] = [];
  /** Store writes and announcements still running: `close` waits for them before the stores it uses close. */
  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work)).catch(() => {});
    return work;
  };
  let lastError = 0;

  const report = (error: unknown, what: string) => {
    if (clock() - lastError < 5_000) return;
    lastError = clock();
    logger.warn({ err: error instanceof Error ? error.message : error }, what);
  };

  const frameOf = (presence: Presence): PresenceFrame => ({ t: 'presence', presence });

  /** Each viewer's verdict on each owner: may they see them? */
  async function verdicts(viewerId: string, ownerIds: readonly string[]) {
    const [rows, blocked, contacts] = await Promise.all([
      repo.presenceRows(kysely, ownerIds),
      repo.blockedBy(kysely, viewerId, ownerIds),
      repo.contactsAmong(kysely, viewerId, ownerIds),
    ]);
    const allowed = new Map<string, { lastSeenAt: number | null }>();
    for (const row of rows) {
      if (row.status === 'deleted') continue;
      const privacy = row.presence_privacy ?? 'everyone';
      const visible = row.id === viewerId || (!blocked.has(row.id) && (privacy === 'everyone' || (privacy === 'contacts' && contacts.has(row.id))));
      if (visible) allowed.set(row.id, { lastSeenAt: row.last_seen_at ?? null });
    }
    return allowed;
  }

  /** The direct peers who may see `userId` now (privacy and blocks applied), and those who may not. */
  async function visiblePeers(userId: string): Promise<{ visible: string[]; hidden: string[] }> {
    const peers = await repo.directPeers(kysely, userId, fanoutMax);
    if (peers.length === 0) return { visible: [], hidden: [] };
    const privacy = await repo.findPrivacy(kysely, userId);
    if (privacy === 'nobody' || privacy === undefined) return { visible: [], hidden: peers };
    // A direct peer is not a contact by the conversation alone: under `contacts` the user must have written there (or share a group).
    const [blocked, contacts] = await Promise.all([repo.blockedByUser(kysely, userId, peers), privacy === 'contacts' ? repo.contactsOfOwner(kysely, userId, peers) : null]);
    const sees = (peer: string) => !blocked.has(peer) && (contacts === null || contacts.has(peer));
    return { visible: peers.filter(sees), hidden: peers.filter((peer) => !sees(peer)) };
  }

  /**
   * `visiblePeers` for many users coming online at once (a storm's batch): one query for
   * their peers, one for their privacy, one per ~5,000 peers for their blocks, and the
   * contacts check only for those whose privacy is `contacts`, instead of three or four
   * queries per user.
   */
  async function visiblePeersOfMany(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const [peersOf, rows] = await Promise.all([repo.directPeersOfMany(kysely, userIds, fanoutMax), repo.presenceRows(kysely, userIds)]);
    const privacyOf = new Map(rows.filter((row) => row.status !== 'deleted').map((row) => [row.id, row.presence_privacy ?? 'everyone']));
    const owners = userIds.filter((id) => peersOf.has(id) && (privacyOf.get(id) ?? 'nobody') !== 'nobody');
    const visible = new Map<string, string[]>();
    for (let start = 0; start < owners.length; ) {
      // Owners taken while their peers fit in one query (at least one owner each time).
      let end = start;
      const peers = new Set<string>();
      while (end < owners.length && (end === start || peers.size + peersOf.get(owners[end]!)!.length <= MAX_PEERS_PER_QUERY)) {
        for (const peer of peersOf.get(owners[end]!)!) peers.add(peer);
        end++;
      }
      const group = owners.slice(start, end);
      const blocked = await repo.blockedByOwners(kysely, group, [...peers]);
      for (const owner of group) {
        const ownPeers = peersOf.get(owner)!;
        const contacts = privacyOf.get(owner) === 'contacts' ? await repo.contactsOfOwner(kysely, owner, ownPeers) : null;
        const blocks = blocked.get(owner);
        visible.set(owner, ownPeers.filter((peer) => !blocks?.has(peer) && (contacts === null || contacts.has(peer))));
      }
      start = end;
    }
    return visible;
  }

  /** A change: to the explicit subscribers (they filter per viewer) and to the direct peers who may see it. */
  async function announce(presence: Presence): Promise<void> {
    const frame = frameOf(presence);
    ephemeral.toPresenceWatchers(presence.userId, frame);
    const { visible } = await visiblePeers(presence.userId);
    for (const peer of visible) ephemeral.toUser(peer, frame);
  }

  /** Users come online waiting for the next batch. */
  const queued = new Map<string, Presence>();
  let batchTimer: NodeJS.Timeout | null = null;

  function announceQuietly(presence: Presence): void {
    if (closed) return;
    if (presence.status !== 'online') {
      // In order after an online still waiting: that one is dropped, this one goes now.
      queued.delete(presence.userId);
      track(announce(presence).catch((error: unknown) => report(error, 'presence change not announced')));
      return;
    }
    queued.set(presence.userId, presence);
    batchTimer ??= setTimeout(() => {
      batchTimer = null;
      void track(announceBatch());
    }, ANNOUNCE_BATCH_MS);
  }

  async function announceBatch(): Promise<void> {
    const batch = [...queued.values()];
    queued.clear();
    for (let start = 0; start < batch.length; start += ANNOUNCE_CHUNK) {
      const chunk = batch.slice(start, start + ANNOUNCE_CHUNK);
      try {
        const visible = await visiblePeersOfMany(chunk.map((presence) => presence.userId));
        for (const presence of chunk) {
          const frame = frameOf(presence);
          ephemeral.toPresenceWatchers(presence.userId, frame);
          for (const peer of visible.get(presence.userId) ?? []) ephemeral.toUser(peer, frame);
        }
      } catch (error) {
        report(error, 'presence change not announced');
      }
    }
  }

  let lastSeenWaiting = new Map<string, number>();
  let lastSeenStored: Promise<void> | null = null;

  /** Settles once `at` is stored (or its failure reported, once for the batch), with every departure of the same turn of the event loop. */
  function storeLastSeen(userId: string, at: number): Promise<void> {
    lastSeenWaiting.set(userId, Math.max(at, lastSeenWaiting.get(userId) ?? 0));
    lastSeenStored ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const seen = [...lastSeenWaiting];
      lastSeenWaiting = new Map();
      lastSeenStored = null;
      for (let start = 0; start < seen.length; start += LAST_SEEN_CHUNK) await repo.storeLastSeen(kysely, new Map(seen.slice(start, start + LAST_SEEN_CHUNK)));
    }).catch((error: unknown) => report(error, 'last seen not stored'));
    return lastSeenStored;
  }

  async function wentOffline(userId: string, lastSeenAt: number): Promise<void> {
    await storeLastSeen(userId, lastSeenAt);
    announceQuietly({ userId, status: 'offline', lastSeenAt: isoOrNull(lastSeenAt) });
  }

  async function heartbeat(): Promise<void> {
    if (draining || local.size === 0) return;
    const entries = [...local].map(([connectionId, { userId }]) => ({ userId, connectionId }));
    try {
      for (const userId of new Set(await store.refresh(entries))) announceQuietly({ userId, status: 'online', lastSeenAt: null });
    } catch (error) {
      report(error, 'presence heartbeat failed');
    }
  }

  async function sweep(): Promise<void> {
    try {
      const swept = await store.sweep(SWEEP_BATCH);
      await Promise.all(swept.map(({ userId, lastSeenAt }) => wentOffline(userId, lastSeenAt)));
    } catch (error) {
      report(error, 'presence sweep failed');
    }
  }

  return {
    /** A session of `userId` is ready on this node: returns its presence id (for `disconnected`). */
    connected(userId: string): string {
      const connectionId = `${nodeId}/${boot}/${++serial}`;
      const pending = track(store.add({ userId, connectionId }).then(
        (cameOnline) => {
          if (cameOnline) announceQuietly({ userId, status: 'online', lastSeenAt: null });
        },
        (error: unknown) => report(error, 'presence not recorded'),
      ));
      local.set(connectionId, { userId, pending });
      return connectionId;
    },

    /** The session is gone. While draining, the entry is left to expire (see `drain`). */
    disconnected(connectionId: string): void {
      const entry = local.get(connectionId);
      if (!entry) return;
      local.delete(connectionId);
      if (draining || closed) return;
      track(entry.pending.then(async () => {
        try {
          const lastSeenAt = await store.remove({ userId: entry.userId, connectionId });
          if (lastSeenAt !== null) await wentOffline(entry.userId, lastSeenAt);
        } catch (error) {
          report(error, 'presence not removed');
        }
      }));
    },

    /** Presence of users as `viewerId` may see it: `hidden` for anyone whose privacy or block says no (or who does not exist). */
    async view(viewerId: string, userIds: readonly string[]): Promise<Presence[]> {
      const unique = [...new Set(userIds)];
      const allowed = await verdicts(viewerId, unique);
      const visible = unique.filter((id) => allowed.has(id));
      const states = await store.get(visible);
      return unique.map((userId) => {
        const state = states.get(userId);
        if (!state || !allowed.has(userId)) return { userId, status: 'hidden', lastSeenAt: null };
        if (state.online) return { userId, status: 'online', lastSeenAt: null };
        return { userId, status: 'offline', lastSeenAt: isoOrNull(state.lastSeenAt ?? allowed.get(userId)!.lastSeenAt) };
      });
    },

    async privacy(userId: string): Promise<PresencePrivacy> {
      const privacy = await repo.findPrivacy(kysely, userId);
      if (!privacy) throw new AppError('not_found', 'User not found.');
      return privacy;
    },

    /** Changes who may see the user's presence; every device hears of it (`settings.updated`), every viewer is re-evaluated. */
    async setPrivacy(userId: string, privacy: PresencePrivacy): Promise<PresencePrivacy> {
      const changed = await uow(async (trx, changes) => {
        if (!(await repo.updatePrivacy(trx, userId, privacy))) {
          if (!(await repo.findPrivacy(trx, userId))) throw new AppError('not_found', 'User not found.');
          return false;
        }
        await appendUserEvent(trx, changes, { userId, type: 'settings.updated', data: { presencePrivacy: privacy }, now: clock() });
        return true;
      });
      if (changed) await this.visibilityChanged(userId);
      return privacy;
    },

    /**
     * Who may see `userId` changed (privacy, a block added or lifted): subscribers check
     * again, and every direct peer is sent the presence as they may see it now.
     */
    async visibilityChanged(userId: string): Promise<void> {
      ephemeral.toPresenceWatchers(userId, null);
      const [{ visible, hidden }, states] = await Promise.all([visiblePeers(userId), store.get([userId])]);
      const state = states.get(userId);
      const real: Presence = state?.online
        ? { userId, status: 'online', lastSeenAt: null }
        : { userId, status: 'offline', lastSeenAt: isoOrNull(state?.lastSeenAt ?? null) };
      for (const peer of visible) ephemeral.toUser(peer, frameOf(real));
      for (const peer of hidden) ephemeral.toUser(peer, frameOf({ userId, status: 'hidden', lastSeenAt: null }));
    },

    /** Starts this node's heartbeat (every third of the TTL) and sweep (every second at most). */
    start(): void {
      if (timers.length) return;
      const every = (ms: number, work: () => Promise<void>) => {
        const timer = setInterval(() => void track(work()), ms);
        timer.unref();
        timers.push(timer);
      };
      every(Math.max(250, Math.floor(store.ttlMs / 3)), heartbeat);
      every(Math.max(100, Math.min(1_000, Math.floor(store.ttlMs / 4))), sweep);
    },

    /**
     * Shutdown: this node's entries are kept alive only `graceMs` more and are not removed
     * when their sockets close. A user who reconnects elsewhere within the grace never
     * flickers offline; one who does not is swept offline by the other nodes.
     */
    async drain(graceMs: number): Promise<void> {
      draining = true;
      const entries = [...local].map(([connectionId, { userId }]) => ({ userId, connectionId }));
      await store.refresh(entries, graceMs).catch((error: unknown) => report(error, 'presence drain refresh failed'));
    },

    /**
     * Last of the node's work on presence: sockets are closed by now, so what their
     * departures started (store removals, last-seen writes, announcements) finishes before
     * the store, the database and the broker it uses close; nothing new starts.
     */
    async close(): Promise<void> {
      for (const timer of timers) clearInterval(timer);
      timers = [];
      // Settling work may start more (a removal announces, a batch waits): until none is left.
      for (;;) {
        if (batchTimer) {
          clearTimeout(batchTimer);
          batchTimer = null;
          void track(announceBatch());
        }
        if (inflight.size === 0) break;
        await Promise.allSettled([...inflight]);
      }
      closed = true;
      await store.close();
    },

    /** Connections this node holds (tests, metrics). */
    localCount: () => local.size,
  };
}
