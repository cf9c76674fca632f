import type { AckDataOf, ClientFrameOf } from '@parley/protocol';
import type { Actor } from '../modules/auth/index.ts';
import type { PresenceService } from '../modules/presence/index.ts';
import type { RateLimits } from '../modules/rate-limits/index.ts';
import type { ReceiptsService } from '../modules/receipts/index.ts';
import type { TypingService } from '../modules/typing/index.ts';
import type { FrameSession } from './session.ts';

type LiveType = 'typing' | 'delivered' | 'receipts' | 'presence' | 'presence_subscribe' | 'presence_unsubscribe';

export interface LiveServices {
  receipts: ReceiptsService;
  typing: TypingService;
  presence: PresenceService;
  rateLimits: RateLimits;
}

/** Frames of receipts, typing and presence: nothing here writes to a log. */
export function createLiveFrameHandlers({ receipts, typing, presence }: LiveServices): {
  [T in LiveType]: (actor: Actor, frame: ClientFrameOf<T>, connection: FrameSession) => Promise<AckDataOf<T>>;
} {
  return {
    typing: async (actor, frame) => {
      await typing.typing(actor, frame.conversationId, frame.typing ?? true);
      return {};
    },
    delivered: async (actor, frame) => {
      await receipts.delivered(actor, frame.conversations);
      return {};
    },
    receipts: async (actor, frame) => ({ receipts: await receipts.peerPointersOf(actor, frame.conversationIds) }),
    presence: async (actor, frame) => ({ presence: await presence.view(actor.userId, frame.userIds) }),
    presence_subscribe: async (_actor, frame, connection) => ({ presence: await connection.subscribePresence(frame.userIds) }),
    presence_unsubscribe: async (_actor, frame, connection) => {
      connection.unsubscribePresence(frame.userIds);
      return {};
    },
  };
}
