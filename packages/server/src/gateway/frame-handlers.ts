import { type AckDataOf, type ClientFrameOf, type ClientFrameType, frameEndpoint } from '@parley/protocol';
import type { Actor } from '../modules/auth/index.ts';
import type { ConversationsService } from '../modules/conversations/index.ts';
import type { InvitesService } from '../modules/invites/index.ts';
import type { MembershipService } from '../modules/membership/index.ts';
import type { MessagesService } from '../modules/messages/index.ts';
import type { ModerationService } from '../modules/moderation/index.ts';
import type { SyncService } from '../modules/sync/index.ts';
import type { FrameSession } from './session.ts';
import { createLiveFrameHandlers, type LiveServices } from './live-frame-handlers.ts';
import { serializedOnce } from './shared-json.ts';

type RequestType = Exclude<ClientFrameType, 'auth'>;

export type FrameHandlers = {
  [T in RequestType]: (actor: Actor, frame: ClientFrameOf<T>, connection: FrameSession) => Promise<AckDataOf<T>>;
};

/**
 * Socket requests call the very service functions the HTTP routes call: the same
 * validation, policy and transaction, so the two paths cannot drift apart. Requests draw
 * from the rate-limit class of their HTTP operation (`FrameOperations` in the protocol).
 */
export interface FrameServices {
  messages: MessagesService;
  conversations: ConversationsService;
  membership: MembershipService;
  invites: InvitesService;
  moderation: ModerationService;
  sync: SyncService;
  live: LiveServices;
}

export function createFrameHandlers(services: FrameServices): FrameHandlers {
  return withRateLimits(createHandlers(services), services.live.rateLimits);
}

/**
 * A request draws from the rate-limit class of the HTTP operation it stands for (the
 * endpoint table's `rateLimit`), before its handler runs: one rule for both paths. Which
 * buckets a class means is decided by the rate-limits module alone.
 */
function withRateLimits(handlers: FrameHandlers, rateLimits: LiveServices['rateLimits']): FrameHandlers {
  const limited: Record<string, FrameHandlers[RequestType]> = { ...handlers };
  for (const type of Object.keys(handlers) as RequestType[]) {
    const rateLimit = frameEndpoint(type)?.rateLimit;
    // Signing in and up have no frames: a socket is already signed in.
    if (!rateLimit || rateLimit === 'login') continue;
    const handle = handlers[type] as (actor: Actor, frame: never, connection: FrameSession) => Promise<unknown>;
    limited[type] = (async (actor: Actor, frame: never, connection: FrameSession) => {
      await rateLimits.draw(rateLimit, { userId: actor.userId, ip: connection.ip });
      return handle(actor, frame, connection);
    }) as never;
  }
  return limited as FrameHandlers;
}

function createHandlers(services: FrameServices): FrameHandlers {
  const { messages, conversations, membership, invites, moderation, sync, live } = services;
  return {
    ...createLiveFrameHandlers(live),
    ping: async () => ({}),
    send: async (actor, frame) => {
      const message = await messages.send(actor, frame.conversationId, frame);
      // The same message object the event frame carried: its JSON is written, not made again.
      return { id: message.id, seq: message.seq, message: serializedOnce(message) };
    },
    edit: async (actor, frame) => ({ message: await messages.edit(actor, frame.conversationId, frame.messageId, frame.text) }),
    delete: async (actor, frame) => ({ message: await messages.delete(actor, frame.conversationId, frame.messageId) }),
    read: (actor, frame) => conversations.markRead(actor, frame.conversationId, frame.seq),
    events: (actor, frame) => sync.events(actor, frame.conversationId, frame.after, frame.limit),
    user_events: (actor, frame) => sync.userEvents(actor, frame.after, frame.limit),
    sync: (actor, frame) => sync.sync(actor, frame),
    // Governance: the same service calls as their HTTP routes.
    forward: async (actor, { conversationId, clientMsgId, from }) => {
      const message = await messages.forward(actor, conversationId, { clientMsgId, from });
      return { id: message.id, seq: message.seq, message };
    },
    react: async (actor, frame) => {
      await messages.react(actor, frame.conversationId, frame.messageId, frame.emoji);
      return {};
    },
    unreact: async (actor, frame) => {
      await messages.unreact(actor, frame.conversationId, frame.messageId, frame.emoji);
      return {};
    },
    pin: async (actor, frame) => {
      await messages.pin(actor, frame.conversationId, frame.messageId);
      return {};
    },
    unpin: async (actor, frame) => {
      await messages.unpin(actor, frame.conversationId, frame.messageId);
      return {};
    },
    add_members: (actor, frame) => membership.addMembers(actor, frame.conversationId, frame.userIds),
    remove_member: (actor, frame) => membership.removeMember(actor, frame.conversationId, frame.userId, frame.reason),
    ban: (actor, { conversationId, t: _t, id: _id, ...body }) => membership.ban(actor, conversationId, body),
    mute: (actor, { conversationId, userId, t: _t, id: _id, ...body }) => membership.mute(actor, conversationId, userId, body),
    set_role: (actor, { conversationId, userId, t: _t, id: _id, ...body }) => membership.setRole(actor, conversationId, userId, body),
    update_conversation: async (actor, { conversationId, t: _t, id: _id, ...body }) => ({ conversation: await conversations.update(actor, conversationId, body) }),
    create_invite: async (actor, { conversationId, t: _t, id: _id, ...body }) => ({ invite: await invites.create(actor, conversationId, body) }),
    audit: async (actor, frame) => {
      const result = await moderation.conversationAudit(actor, frame.conversationId, frame.cursor, frame.limit ?? 50);
      return { entries: result.items, nextCursor: result.nextCursor };
    },
  };
}
