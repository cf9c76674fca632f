import type { ConversationEvent } from '@parley/protocol';

/**
 * The call going on in a group, read from the conversation's loaded log (a `call.started`
 * with no `call.ended` after it), or null.
 */
export function ongoingCall(notices: readonly ConversationEvent[]): { callId: string; kind: 'voice' | 'video' } | null {
  const ended = new Set<string>();
  for (let i = notices.length - 1; i >= 0; i--) {
    const event = notices[i]!;
    if (event.type === 'call.ended') ended.add(event.data.callId);
    if (event.type === 'call.started') return ended.has(event.data.callId) ? null : { callId: event.data.callId, kind: event.data.kind };
  }
  return null;
}
