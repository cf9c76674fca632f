import type { Conversation, ConversationEvent, Message, Role } from '@parley/protocol';
import { messagePreview } from './markdown.ts';

const ROLE_WITH_ARTICLE: Record<Role, string> = { owner: 'the owner', admin: 'an admin', moderator: 'a moderator', member: 'a member', subscriber: 'a subscriber' };

/**
 * The sentence a timeline shows for a log event (created, renamed, members added or gone,
 * roles, pins), or null for one it does not show. `name` gives a user's display name
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
    default:
      return null;
  }
}
