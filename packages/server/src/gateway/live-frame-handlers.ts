import type { AckDataOf, ClientFrameOf } from '@parley/protocol';
import type { Actor } from '../modules/auth/index.ts';
import type { CallsService } from '../modules/calls/index.ts';
import type { PresenceService } from '../modules/presence/index.ts';
import type { RateLimits } from '../modules/rate-limits/index.ts';
import type { ReceiptsService } from '../modules/receipts/index.ts';
import type { TypingService } from '../modules/typing/index.ts';
import type { FrameSession } from './session.ts';

type LiveType = 'typing' | 'delivered' | 'receipts' | 'presence' | 'presence_subscribe' | 'presence_unsubscribe'
  | 'call_start' | 'call_accept' | 'call_decline' | 'call_join' | 'call_leave' | 'call_end' | 'call_signal';

export interface LiveServices {
  receipts: ReceiptsService;
  typing: TypingService;
  presence: PresenceService;
  rateLimits: RateLimits;
  calls: CallsService;
}

/** Frames of receipts, typing, presence and calls (whose control requests write to the log through the calls service, as their HTTP routes do). */
export function createLiveFrameHandlers({ receipts, typing, presence, calls }: LiveServices): {
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
    call_start: (actor, frame) => calls.start(actor, frame.conversationId, frame.kind),
    call_accept: (actor, frame) => calls.accept(actor, frame.callId),
    call_decline: async (actor, frame) => ({ call: await calls.decline(actor, frame.callId) }),
    call_join: (actor, frame) => calls.join(actor, frame.callId),
    call_leave: async (actor, frame) => ({ call: await calls.leave(actor, frame.callId) }),
    call_end: async (actor, frame) => ({ call: await calls.end(actor, frame.callId) }),
    call_signal: async (actor, frame) => {
      await calls.signal(actor, frame.callId, frame.to, frame.signal);
      return {};
    },
  };
}
