import { useApp } from '../../hooks/context.ts';
import { useNow } from '../../hooks/use-live.ts';
import { useUsersVersion } from '../../hooks/use-store.ts';
import { usePresence } from './presence-follows.tsx';
import { presenceText } from './presence-text.ts';
import './presence.css';

/** "online" / "last seen …" under a direct conversation's title. */
export function LastSeen({ userId }: { userId: string }) {
  const { users } = useApp();
  useUsersVersion(users);
  const presence = usePresence(userId);
  const now = useNow(30_000);
  if (!presence || presence.status === 'hidden') return null;
  const text = presenceText(presence, now);
  // The subtitle starts with the handle when there is one.
  const separator = users.get(userId)?.handle ? ' · ' : '';
  return (
    <span className="last-seen" data-presence={presence.status}>
      {separator}
      <span className={presence.status === 'online' ? 'last-seen-online' : undefined}>{text}</span>
    </span>
  );
}
