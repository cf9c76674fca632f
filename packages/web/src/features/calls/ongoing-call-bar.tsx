import type { ConversationEvent } from '@parley/protocol';
import { useNotify } from '../../components/toasts.tsx';
import { describeError } from '../../lib/errors.ts';
import { useCalls } from './use-calls.ts';

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

/** "A video call is going on · Join" above a group's history, unless this device is in it. */
export function OngoingCallBar({ notices }: { notices: readonly ConversationEvent[] }) {
  const calls = useCalls();
  const notify = useNotify();
  const call = ongoingCall(notices);
  if (!call || calls.active?.call.id === call.callId) return null;
  return (
    <div className="ongoing-call" role="status">
      <span>A {call.kind} call is going on</span>
      <button type="button" className="button button-primary" disabled={calls.active !== null} onClick={() => calls.join(call.callId).catch((error: unknown) => notify(`Could not join the call: ${describeError(error)}`))}>
        Join
      </button>
    </div>
  );
}
