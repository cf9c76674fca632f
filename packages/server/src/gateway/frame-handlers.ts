import type { AckDataOf, ClientFrameOf, ClientFrameType } from '@parley/protocol';
import type { Actor } from '../modules/auth/index.ts';
import type { ConversationsService } from '../modules/conversations/index.ts';
import type { MessagesService } from '../modules/messages/index.ts';
import type { SyncService } from '../modules/sync/index.ts';

type RequestType = Exclude<ClientFrameType, 'auth'>;

export type FrameHandlers = {
  [T in RequestType]: (actor: Actor, frame: ClientFrameOf<T>) => Promise<AckDataOf<T>>;
};

/**
 * Socket requests call the very service functions the HTTP routes call: the same
 * validation, policy and transaction, so the two paths cannot drift apart.
 */
export function createFrameHandlers(services: { messages: MessagesService; conversations: ConversationsService; sync: SyncService }): FrameHandlers {
  const { messages, conversations, sync } = services;
  return {
    ping: async () => ({}),
    send: async (actor, frame) => {
      const message = await messages.send(actor, frame.conversationId, frame);
      return { id: message.id, seq: message.seq, message };
    },
    edit: async (actor, frame) => ({ message: await messages.edit(actor, frame.conversationId, frame.messageId, frame.text) }),
    delete: async (actor, frame) => ({ message: await messages.delete(actor, frame.conversationId, frame.messageId) }),
    read: (actor, frame) => conversations.markRead(actor, frame.conversationId, frame.seq),
    events: (actor, frame) => sync.events(actor, frame.conversationId, frame.after, frame.limit),
    user_events: (actor, frame) => sync.userEvents(actor, frame.after, frame.limit),
    sync: (actor, frame) => sync.sync(actor, frame),
  };
}
