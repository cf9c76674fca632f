import type { Message } from '@parley/protocol';
import { useApp } from '../../hooks/context.ts';
import { useUsersVersion } from '../../hooks/use-store.ts';
import './messages.css';

/** "Forwarded from …" at the top of a forwarded message's bubble. */
export function ForwardedFrom({ message }: { message: Message }) {
  const { client, users } = useApp();
  useUsersVersion(users);
  const from = message.forwardedFrom;
  if (!from) return null;
  const name = from.senderId === client.me?.id ? 'you' : users.name(from.senderId);
  return (
    <span className="forwarded-from">
      <ForwardIcon />
      <span>
        Forwarded from <strong>{name}</strong>
        {from.conversationTitle ? ` in ${from.conversationTitle}` : ''}
      </span>
    </span>
  );
}

function ForwardIcon() {
  return (
    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M15 5l6 6-6 6" />
      <path d="M21 11H9a6 6 0 0 0-6 6v2" />
    </svg>
  );
}
