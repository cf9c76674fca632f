import type { ConversationEvent } from '@parley/protocol';
import { useNotify } from '../../components/toasts.tsx';
import { describeError } from '../../lib/errors.ts';
import { ongoingCall } from './ongoing-call.ts';
import { useCalls } from './use-calls.ts';

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
