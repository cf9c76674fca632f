import type { Conversation } from '@parley/protocol';
import { useEffect } from 'react';
import { useApp } from '../../hooks/context.ts';
import { formatDateTime } from '../../lib/format.ts';
import { sendBlockedReason } from '../../lib/permissions.ts';
import { isForever } from '../moderation/mute-time.ts';

/** In place of the composer: why the viewer cannot send here. */
export function SendBlockedNote({ conversation }: { conversation: Conversation }) {
  const { client } = useApp();
  const reason = sendBlockedReason(conversation);
  // A mute ends without an event: ask the server for the rights again when it runs out.
  const { id, mutedUntil } = conversation;
  useEffect(() => {
    if (!mutedUntil || isForever(mutedUntil)) return;
    const delay = Date.parse(mutedUntil) - Date.now() + 1_000;
    if (!(delay > 0) || delay > 2_000_000_000) return;
    const timer = setTimeout(() => {
      client.refreshConversation(id).catch(() => {});
    }, delay);
    return () => clearTimeout(timer);
  }, [client, id, mutedUntil]);
  const text =
    reason === 'muted'
      ? `You are muted here${conversation.mutedUntil && !isForever(conversation.mutedUntil) ? ` until ${formatDateTime(conversation.mutedUntil)}` : ''}, so you cannot send messages.`
      : reason === 'subscriber'
        ? 'You are a subscriber: only admins post in this channel.'
        : 'Only some members can send messages here.';
  return (
    <p className="composer-disabled" role="status">
      {text}
    </p>
  );
}
