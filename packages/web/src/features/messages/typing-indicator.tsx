import { useEffect } from 'react';
import { useApp } from '../../hooks/context.ts';
import { useTyping } from '../../hooks/use-live.ts';
import { useUsersVersion } from '../../hooks/use-store.ts';
import './messages.css';

/**
 * Who is typing, shown above the composer; gone when they stop, send, or the indicator
 * expires. The composer reports the viewer's own typing.
 */
export function TypingIndicator({ conversationId }: { conversationId: string }) {
  const { client, users } = useApp();
  useUsersVersion(users);
  const typing = useTyping(client, conversationId);
  // Leaving the conversation: the others stop seeing you type.
  useEffect(() => () => client.stopTyping(conversationId), [client, conversationId]);
  const names = typing.map((id) => users.name(id));
  const text =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : `${names[0]} and ${names.length - 1} others are typing…`;
  return (
    <div className={`typing-indicator${text ? ' active' : ''}`} role="status" aria-live="polite">
      {text && (
        <>
          <span className="typing-dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span className="typing-text">{text}</span>
        </>
      )}
    </div>
  );
}
