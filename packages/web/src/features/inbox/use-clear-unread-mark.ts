import { prefsOf } from '@parley/sdk';
import { useEffect } from 'react';
import { useApp } from '../../hooks/context.ts';

/**
 * Opening a conversation you marked unread takes the mark off (reading does, on the server,
 * and every device follows). Once per opening, not on every change: marking the open
 * conversation unread from the list must stick until it is opened again.
 */
export function useClearUnreadMarkOnOpen(conversationId: string): void {
  const { client } = useApp();
  useEffect(() => {
    const state = client.store.get(conversationId);
    if (state && prefsOf(state.summary).markedUnread) client.markRead(conversationId).catch(() => {});
  }, [client, conversationId]);
}
