import type { IncomingCall } from '@parley/sdk';
import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useUsersVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { CallController } from './call-controller.ts';
import { CallsContext, useCalls } from './use-calls.ts';
import './calls.css';

// WebRTC, tiles and controls load when a call starts or is answered, not with the chat.
const CallWindow = lazy(() => import('./call-window.tsx').then((module) => ({ default: module.CallWindow })));

/** The device's calls for everything below: ringing cards, and the call window while in a call. */
export function CallsLayer({ children }: { children: ReactNode }) {
  const { client } = useApp();
  const [controller] = useState(() => new CallController(client));
  useEffect(() => () => controller.dispose(), [controller]);
  return (
    <CallsContext.Provider value={controller}>
      {children}
      <CallsOverlay />
    </CallsContext.Provider>
  );
}

function CallsOverlay() {
  const calls = useCalls();
  const notify = useNotify();
  const ended = calls.lastEnded;
  useEffect(() => {
    if (ended) notify(ended.text);
  }, [ended, notify]);
  return (
    <>
      {calls.incoming.length > 0 && (
        <div className="incoming-calls">
          {calls.incoming.map((ring) => (
            <IncomingCallCard key={ring.call.id} ring={ring} />
          ))}
        </div>
      )}
      {calls.active && (
        <Suspense fallback={<div className="call-window call-loading" role="status">Connecting the call…</div>}>
          <CallWindow key={calls.active.call.id} />
        </Suspense>
      )}
    </>
  );
}

/** A call ringing on this device: who calls, accept or decline (the other devices stop ringing when one answers). */
function IncomingCallCard({ ring }: { ring: IncomingCall }) {
  const { users } = useApp();
  useUsersVersion(users);
  const calls = useCalls();
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const caller = users.name(ring.call.callerId);
  const what = `${ring.call.kind === 'video' ? 'Video' : 'Voice'} call`;
  const act = (action: () => Promise<void>, failure: string) => {
    setBusy(true);
    action().catch((error: unknown) => {
      setBusy(false);
      notify(`${failure}: ${describeError(error)}`);
    });
  };
  return (
    <section className="incoming-call" role="alertdialog" aria-label={`Incoming ${what.toLowerCase()} from ${caller}`}>
      <Avatar id={ring.call.callerId} name={caller} />
      <div className="incoming-call-text">
        <strong>{caller}</strong>
        <span>{what}…</span>
      </div>
      <button type="button" className="button call-decline" disabled={busy} onClick={() => act(() => calls.decline(ring.call.id), 'Could not decline')}>
        Decline
      </button>
      <button type="button" className="button call-accept" disabled={busy} onClick={() => act(() => calls.accept(ring.call.id), 'Could not answer')}>
        Accept
      </button>
    </section>
  );
}
