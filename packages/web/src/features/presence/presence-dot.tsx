import { usePresence } from './presence-follows.tsx';
import './presence.css';

/** An online dot on an avatar (nothing while offline, hidden or unknown). */
export function PresenceDot({ userId }: { userId: string }) {
  const presence = usePresence(userId);
  if (presence?.status !== 'online') return null;
  return <span className="presence-dot" data-presence="online" title="Online" />;
}
