import type { Message } from '@parley/protocol';
import type { MessageStatus, ParleyClient } from '@parley/sdk';
import { useCallback, useSyncExternalStore } from 'react';

/**
 * Live state that is not in the store (typing, receipts; presence is in features/presence): read from the SDK,
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
