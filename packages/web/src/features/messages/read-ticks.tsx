import type { Conversation, Message } from '@parley/protocol';
import { useApp } from '../../hooks/context.ts';
import { useMessageStatus } from '../../hooks/use-live.ts';
import './messages.css';

/** Sent / delivered / read on the viewer's own messages (not in channels: they keep no delivery pointers). */
export function ReadTicks({ conversation, message }: { conversation: Conversation; message: Message }) {
  const { client } = useApp();
  const status = useMessageStatus(client, conversation.id, message);
  if (conversation.kind === 'channel') return null;
  const label = status === 'read' ? 'Read' : status === 'delivered' ? 'Delivered' : 'Sent';
  return (
    <span className={`ticks ticks-${status}`} role="img" aria-label={label} title={label} data-status={status}>
      <svg viewBox="0 0 20 12" width="17" height="11" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
        {status === 'sent' ? (
          <path d="M3 6.5l3 3 7-7" />
        ) : (
          <>
            <path d="M1 6.5l3 3 7-7" />
            <path d="M8.5 9.5l7-7" />
            <path d="M7 8l1.5 1.5" />
          </>
        )}
      </svg>
    </span>
  );
}
