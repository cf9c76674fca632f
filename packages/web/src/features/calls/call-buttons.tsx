import type { CallKind, Conversation } from '@parley/protocol';
import { useState } from 'react';
import { useNotify } from '../../components/toasts.tsx';
import { describeError } from '../../lib/errors.ts';
import { canStartCall } from '../../lib/permissions.ts';
import { useCalls } from './use-calls.ts';

/** Voice and video call buttons of a conversation's header (none where the viewer may not start calls). */
export function CallButtons({ conversation }: { conversation: Conversation }) {
  const calls = useCalls();
  const notify = useNotify();
  const [starting, setStarting] = useState(false);
  if (!canStartCall(conversation)) return null;
  const start = (kind: CallKind) => {
    setStarting(true);
    calls.start(conversation.id, kind).then(
      () => setStarting(false),
      (error: unknown) => {
        setStarting(false);
        notify(`Could not start the call: ${describeError(error)}`);
      },
    );
  };
  const disabled = starting || calls.active !== null;
  return (
    <>
      <button type="button" className="icon-button" aria-label="Start voice call" title="Voice call" disabled={disabled} onClick={() => start('voice')}>
        <PhoneIcon />
      </button>
      <button type="button" className="icon-button" aria-label="Start video call" title="Video call" disabled={disabled} onClick={() => start('video')}>
        <VideoIcon />
      </button>
    </>
  );
}

const common = { viewBox: '0 0 24 24', width: 20, height: 20, 'aria-hidden': true, focusable: false, fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

const PhoneIcon = () => (
  <svg {...common}>
    <path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2Z" />
  </svg>
);
const VideoIcon = () => (
  <svg {...common}>
    <path d="m23 7-7 5 7 5V7Z" />
    <rect x="1" y="5" width="15" height="14" rx="2" />
  </svg>
);
