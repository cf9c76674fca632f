import type { Message, Presence } from '@parley/protocol';
import type { MessageStatus, ParleyClient } from '@parley/sdk';
import { useCallback, useEffect, useSyncExternalStore } from 'react';

/**
 * Live state that is not in the store (typing, presence, receipts): read from the SDK,
 * re-rendered on its events. Snapshots are strings, so React sees a change only when
 * something shown changed.
 */

/** Who is typing in a conversation right now (user ids, the viewer excluded). */
export function useTyping(client: ParleyClient, conversationId: string): string[] {
  const subscribe = useCallback(
    (notify: () => void) =>
      client.on('typing', (update) => {
        if (update.conversationId === conversationId) notify();
      }),
    [client, conversationId],
  );
  const key = useSyncExternalStore(subscribe, () => client.typingIn(conversationId).join('\n'));
  return key === '' ? [] : key.split('\n');
}

/** sent / delivered / read of one of the viewer's messages, following receipts and fresh summaries. */
export function useMessageStatus(client: ParleyClient, conversationId: string, message: Pick<Message, 'seq' | 'senderId'>): MessageStatus {
  const subscribe = useCallback(
    (notify: () => void) => {
      const offReceipt = client.on('receipt', (receipt) => {
        if (receipt.conversationId === conversationId) notify();
      });
      // A fresh summary carries the peer's pointers (direct conversations): the store says so first.
      const offStore = client.store.on('change', (changed) => {
        if (changed === null || changed === conversationId) queueMicrotask(notify);
      });
      return () => {
        offReceipt();
        offStore();
      };
    },
    [client, conversationId],
  );
  return useSyncExternalStore(subscribe, () => groupAware(client, conversationId, message, client.messageStatus(conversationId, message)));
}

/**
 * The SDK judges a message by the members whose pointers it has heard of. In a direct
 * conversation that is the peer (the summary carries their pointers); in a group it may be
 * only the few whose pointers moved while this page was connected, so "read" could mean
 * "read by one of twenty". Claim delivered or read only once every other member is known.
 */
function groupAware(client: ParleyClient, conversationId: string, message: Pick<Message, 'senderId'>, status: MessageStatus): MessageStatus {
  const summary = client.store.get(conversationId)?.summary;
  if (status === 'sent' || summary?.kind !== 'group') return status;
  let known = 0;
  for (const userId of client.receiptsOf(conversationId).keys()) if (userId !== message.senderId) known++;
  return known >= summary.memberCount - 1 ? status : 'sent';
}

/**
 * Presence subscriptions, counted per user: many dots and labels may show the same person,
 * and the SDK's subscription is one per user. Changes in one task go out as one request each way.
 */
interface Subscriptions {
  counts: Map<string, number>;
  /** What the SDK was asked to follow. */
  following: Set<string>;
  touched: Set<string>;
  scheduled: boolean;
}

/** The server caps subscriptions per socket (500); stay well under it. */
const MAX_FOLLOWED = 400;
const registry = new WeakMap<ParleyClient, Subscriptions>();

function subscriptionsOf(client: ParleyClient): Subscriptions {
  let subs = registry.get(client);
  if (!subs) registry.set(client, (subs = { counts: new Map(), following: new Set(), touched: new Set(), scheduled: false }));
  return subs;
}

function schedule(client: ParleyClient, subs: Subscriptions): void {
  if (subs.scheduled) return;
  subs.scheduled = true;
  queueMicrotask(() => {
    subs.scheduled = false;
    const follow: string[] = [];
    const drop: string[] = [];
    for (const id of subs.touched) {
      const wanted = (subs.counts.get(id) ?? 0) > 0;
      if (wanted && !subs.following.has(id) && subs.following.size + follow.length < MAX_FOLLOWED) follow.push(id);
      else if (!wanted && subs.following.has(id)) drop.push(id);
    }
    subs.touched.clear();
    for (const id of follow) subs.following.add(id);
    for (const id of drop) subs.following.delete(id);
    // Unknown presence is simply not shown; a failed subscription is renewed by the SDK on reconnect.
    if (follow.length > 0) client.subscribePresence(follow).catch(() => {});
    if (drop.length > 0) client.unsubscribePresence(drop);
  });
}

function follow(client: ParleyClient, userId: string): () => void {
  const subs = subscriptionsOf(client);
  subs.counts.set(userId, (subs.counts.get(userId) ?? 0) + 1);
  subs.touched.add(userId);
  schedule(client, subs);
  return () => {
    const left = (subs.counts.get(userId) ?? 1) - 1;
    if (left > 0) subs.counts.set(userId, left);
    else subs.counts.delete(userId);
    subs.touched.add(userId);
    schedule(client, subs);
  };
}

/** A user's last known presence; subscribes while mounted (undefined until known, and for the viewer). */
export function usePresence(client: ParleyClient, userId: string): Presence | undefined {
  const self = client.me?.id === userId;
  useEffect(() => (self ? undefined : follow(client, userId)), [client, userId, self]);
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

/** The current time, renewed every `everyMs` (for "last seen 5 minutes ago"). */
export function useNow(everyMs: number): number {
  const subscribe = useCallback(
    (notify: () => void) => {
      const timer = setInterval(notify, everyMs);
      return () => clearInterval(timer);
    },
    [everyMs],
  );
  return useSyncExternalStore(subscribe, () => Math.floor(Date.now() / everyMs) * everyMs);
}
