import type { Conversation, ConversationEvent, Message, Role } from '@parley/protocol';
import { messagePreview } from './markdown.ts';

const ROLE_WITH_ARTICLE: Record<Role, string> = { owner: 'the owner', admin: 'an admin', moderator: 'a moderator', member: 'a member', subscriber: 'a subscriber' };

/**
 * The sentence a timeline shows for a log event (created, renamed, members added or gone,
 * roles, pins, calls), or null for one it does not show. `name` gives a user's display name
 * ("You" for the viewer). Channels show no joins and departures: subscribers come and go
 * in numbers.
 */
export function noticeText(event: ConversationEvent, conversation: Pick<Conversation, 'kind'>, name: (userId: string | null) => string, message: (id: string) => Message | undefined): string | null {
  const actor = name(event.actorId);
  const place = conversation.kind === 'channel' ? 'channel' : 'group';
  switch (event.type) {
    case 'conversation.created':
      if (conversation.kind === 'direct') return null;
      return `${actor} created the ${place}${event.data.title ? ` “${event.data.title}”` : ''}`;
    case 'conversation.updated':
      if (event.data.title === undefined) return null;
      return event.data.title ? `${actor} renamed the ${place} to “${event.data.title}”` : `${actor} removed the ${place}’s title`;
    case 'members.added': {
      // Groups only: a direct conversation's two members come with it, channels' subscribers come in numbers.
      if (conversation.kind !== 'group') return null;
      const { userIds } = event.data;
      // The creator's own entry at creation says nothing "created" does not.
      if (userIds.length === 1 && userIds[0] === event.actorId) return event.data.role === 'owner' ? null : `${actor} joined`;
      const names = userIds.slice(0, 3).map((id) => name(id));
      const more = userIds.length > 3 ? ` and ${userIds.length - 3} more` : '';
      return `${actor} added ${names.length > 1 && !more ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join(', ')}${more}`;
    }
    case 'member.removed': {
      if (conversation.kind !== 'group') return null;
      const user = name(event.data.userId ?? null);
      switch (event.data.reason) {
        case 'left':
          return `${user} left`;
        case 'removed':
          return `${actor} removed ${user}`;
        case 'banned':
          return `${actor} banned ${user}`;
        case 'deleted':
          return `${user} left (account deleted)`;
      }
      return null;
    }
    case 'member.role_changed': {
      const user = name(event.data.userId);
      if (event.data.role === 'owner') return `${user} is now the owner`;
      return `${actor} made ${user} ${ROLE_WITH_ARTICLE[event.data.role]}`;
    }
    case 'message.pinned': {
      const pinned = message(event.data.messageId);
      return pinned?.text ? `${actor} pinned “${messagePreview(pinned.text, 60)}”` : `${actor} pinned a message`;
    }
    case 'call.started':
      // A direct call's lines are its outcome ("Missed call", "Call, 3 min"); a group sees who started one, to join it.
      if (conversation.kind === 'direct') return null;
      return `${name(event.data.callerId)} started a ${event.data.kind} call`;
    case 'call.missed':
      return missedCallText(event.data, conversation, name);
    case 'call.declined':
      return conversation.kind === 'direct' ? 'Call declined' : null;
    case 'call.ended':
      return event.data.answered ? `Call, ${callDuration(event.data.durationMs)}` : null;
    default:
      return null;
  }
}

type MissedCall = Extract<ConversationEvent, { type: 'call.missed' }>['data'];

/** "Missed call" for whoever did not answer (the viewer included); the caller reads who did not answer, and why. */
function missedCallText(data: MissedCall, conversation: Pick<Conversation, 'kind'>, name: (userId: string | null) => string): string | null {
  const names = data.userIds.map((id) => name(id));
  if (names.length === 0) return null;
  if (names.includes('You')) return 'Missed call';
  if (data.reason === 'busy') return `${names.join(', ')} ${names.length === 1 ? 'was' : 'were'} busy`;
  if (data.reason === 'cancelled' || data.reason === 'caller_gone') return conversation.kind === 'direct' ? 'Cancelled call' : null;
  if (conversation.kind !== 'direct') return null;
  return `${names[0]} missed your call`;
}

/** "45 s", "3 min", "1 h 5 min": how long a call lasted, rounded down to what matters. */
export function callDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
