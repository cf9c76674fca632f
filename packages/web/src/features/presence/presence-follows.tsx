import type { Presence } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useSyncExternalStore } from 'react';
import { useApp } from '../../hooks/context.ts';

/** The server caps subscriptions per socket (500); stay well under it. */
const MAX_FOLLOWED = 400;

/**
 * Presence subscriptions, counted per user: many dots and labels may show the same person,
 * and the SDK's subscription is one per user. Changes in one task go out as one request each way.
 */
class PresenceFollows {
  private readonly counts = new Map<string, number>();
  /** What the SDK was asked to follow. */
  private readonly following = new Set<string>();
  private readonly touched = new Set<string>();
  private scheduled = false;
  private readonly client: ParleyClient;

  constructor(client: ParleyClient) {
    this.client = client;
  }

  /** Follows a user's presence until the returned function is called. */
  follow(userId: string): () => void {
    this.counts.set(userId, (this.counts.get(userId) ?? 0) + 1);
    this.touch(userId);
    return () => {
      const left = (this.counts.get(userId) ?? 1) - 1;
      if (left > 0) this.counts.set(userId, left);
      else this.counts.delete(userId);
      this.touch(userId);
    };
  }

  private touch(userId: string): void {
    this.touched.add(userId);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const follow: string[] = [];
    const drop: string[] = [];
    for (const id of this.touched) {
      const wanted = (this.counts.get(id) ?? 0) > 0;
      if (wanted && !this.following.has(id) && this.following.size + follow.length < MAX_FOLLOWED) follow.push(id);
      else if (!wanted && this.following.has(id)) drop.push(id);
    }
    this.touched.clear();
    for (const id of follow) this.following.add(id);
    for (const id of drop) this.following.delete(id);
    // Unknown presence is simply not shown; a failed subscription is renewed by the SDK on reconnect.
    if (follow.length > 0) this.client.subscribePresence(follow).catch(() => {});
    if (drop.length > 0) this.client.unsubscribePresence(drop);
  }
}

const PresenceFollowsContext = createContext<PresenceFollows | null>(null);

/** Counts presence subscriptions for the signed-in client, for as long as the signed-in app is shown. */
export function PresenceFollowsProvider({ children }: { children: ReactNode }) {
  const { client } = useApp();
  const follows = useMemo(() => new PresenceFollows(client), [client]);
  return <PresenceFollowsContext.Provider value={follows}>{children}</PresenceFollowsContext.Provider>;
}

/** A user's last known presence; subscribes while mounted (undefined until known, and for the viewer). */
export function usePresence(userId: string): Presence | undefined {
  const { client } = useApp();
  const follows = useContext(PresenceFollowsContext);
  if (!follows) throw new Error('usePresence outside of a PresenceFollowsProvider');
  const self = client.me?.id === userId;
  useEffect(() => (self ? undefined : follows.follow(userId)), [follows, userId, self]);
  const subscribe = useCallback(
    (notify: () => void) =>
      client.on('presence', (presence) => {
        if (presence.userId === userId) notify();
      }),
    [client, userId],
  );
  const key = useSyncExternalStore(subscribe, () => {
    const presence = client.presenceOf(userId);
    return presence ? `${presence.status}|${presence.lastSeenAt ?? ''}` : '';
  });
  if (self || key === '') return undefined;
  const [status, lastSeenAt] = key.split('|') as [Presence['status'], string];
  return { userId, status, lastSeenAt: lastSeenAt === '' ? null : lastSeenAt };
}
