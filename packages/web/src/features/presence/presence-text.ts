import type { Presence } from '@parley/protocol';
import { timeLabel } from '../../lib/format.ts';

/** "online", "last seen 5 minutes ago", "last seen yesterday at 18:04", … */
export function presenceText(presence: Pick<Presence, 'status' | 'lastSeenAt'>, now: number = Date.now()): string {
  if (presence.status === 'online') return 'online';
  if (!presence.lastSeenAt) return 'offline';
  const at = new Date(presence.lastSeenAt);
  const minutes = Math.floor((now - at.getTime()) / 60_000);
  if (minutes < 1) return 'last seen just now';
  if (minutes < 60) return `last seen ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} ago`;
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (at.getTime() >= startOfToday) return `last seen today at ${timeLabel(presence.lastSeenAt)}`;
  if (at.getTime() >= startOfToday - 86_400_000) return `last seen yesterday at ${timeLabel(presence.lastSeenAt)}`;
  return `last seen ${at.toLocaleDateString(undefined, { day: 'numeric', month: 'short', ...(at.getFullYear() !== today.getFullYear() ? { year: 'numeric' } : {}) })}`;
}
