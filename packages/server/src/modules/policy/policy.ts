import type { ConversationKind, Role, UserStatus } from '@parley/protocol';
import { AppError } from '../../platform/errors.ts';

/**
 * The one place that decides who may do what. HTTP routes and WebSocket frames call the
 * same service functions, and every service function asks `authorize` before it
 * changes or reveals anything, so there is no second path to secure.
 *
 * Services load the facts (one query, usually inside the transaction that holds the
 * conversation lock) and this module decides on them without I/O: decisions are pure,
 * cheap and tested as a table.
 */
export type Action =
  | 'conversation.view'
  | 'conversation.update'
  | 'message.send'
  | 'message.edit'
  | 'message.delete'
  | 'members.add'
  | 'members.remove'
  | 'conversation.leave';

export interface PolicyFacts {
  /** Null when the conversation does not exist. */
  conversation: { kind: ConversationKind } | null;
  /** The actor's membership; null when the actor is not a member. */
  membership: { role: Role } | null;
  /** For direct conversations: the other member's account status. */
  peerStatus?: UserStatus | null;
  /** For message actions: the message acted on. */
  message?: { senderId: string; deleted: boolean } | null;
  /** For actions on another member. */
  target?: { userId: string; role: Role } | null;
}

/**
 * Throws the typed error for a refusal; returns when allowed. A conversation you are not
 * a member of is `not_found`, exactly like one that does not exist, so ids reveal nothing.
 */
export function authorize(actorId: string, action: Action, facts: PolicyFacts): void {
  const { conversation, membership } = facts;
  if (!conversation || !membership) throw new AppError('not_found', 'Conversation not found.');
  const isOwner = membership.role === 'owner';
  const isGroup = conversation.kind === 'group';

  switch (action) {
    case 'conversation.view':
      return;
    case 'message.send':
      if (conversation.kind === 'direct' && facts.peerStatus === 'deleted') throw new AppError('forbidden', 'The other account is deleted.');
      return;
    case 'message.edit': {
      const message = requireMessage(facts);
      if (message.deleted) throw new AppError('not_found', 'Message not found.');
      if (message.senderId !== actorId) throw new AppError('forbidden', 'Only the sender may edit a message.');
      return;
    }
    case 'message.delete': {
      const message = requireMessage(facts);
      if (message.senderId === actorId) return;
      if (isGroup && isOwner) return;
      throw new AppError('forbidden', 'Only the sender or the group owner may delete this message.');
    }
    case 'conversation.update':
      if (!isGroup) throw new AppError('forbidden', 'Direct conversations have no title.');
      if (!isOwner) throw new AppError('forbidden', 'Only the owner may change the group.');
      return;
    case 'members.add':
      if (!isGroup) throw new AppError('forbidden', 'Direct conversations have exactly two members.');
      if (!isOwner) throw new AppError('forbidden', 'Only the owner may add members.');
      return;
    case 'members.remove': {
      if (!isGroup) throw new AppError('forbidden', 'Direct conversations have exactly two members.');
      const target = facts.target;
      if (!target) throw new AppError('not_found', 'Member not found.');
      if (target.userId === actorId) throw new AppError('forbidden', 'Use leave to remove yourself.');
      if (!isOwner) throw new AppError('forbidden', 'Only the owner may remove members.');
      return;
    }
    case 'conversation.leave':
      if (!isGroup) throw new AppError('forbidden', 'You cannot leave a direct conversation.');
      return;
  }
}

function requireMessage(facts: PolicyFacts): { senderId: string; deleted: boolean } {
  if (!facts.message) throw new AppError('not_found', 'Message not found.');
  return facts.message;
}
