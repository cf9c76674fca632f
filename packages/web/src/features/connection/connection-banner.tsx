import type { ParleyClient } from '@parley/sdk';
import { useEffect, useRef, useState } from 'react';
import { useBrowserOnline } from '../../hooks/use-browser.ts';
import { useClientStatus } from '../../hooks/use-store.ts';

type Shown = 'offline' | 'lost' | 'reconnecting' | 'connecting' | 'caught-up' | null;

const CAUGHT_UP_MS = 2_500;
/** The first connection is usually quick: say nothing unless it takes a while. */
const FIRST_CONNECT_GRACE_MS = 1_500;

/**
 * Offline / reconnecting / caught up, from the SDK's status. "Caught up" means the
 * client has synced everything it missed (the SDK's `live`), shown briefly after an
 * interruption and never on a normal start.
 */
export function ConnectionBanner({ client }: { client: ParleyClient }) {
  const status = useClientStatus(client);
  const online = useBrowserOnline();
  const [shown, setShown] = useState<Shown>(null);
  const wasLive = useRef(status === 'live');
  const interrupted = useRef(false);

  useEffect(() => {
    if (status === 'stopped') {
      setShown(null);
      return;
    }
    // The browser knows first when the network is gone, even while the socket still looks open.
    if (!online) {
      if (wasLive.current) interrupted.current = true;
      setShown('offline');
      return;
    }
    if (status === 'live') {
      const announce = interrupted.current;
      wasLive.current = true;
      interrupted.current = false;
      if (!announce) {
        setShown(null);
        return;
      }
      setShown('caught-up');
      const timer = setTimeout(() => setShown(null), CAUGHT_UP_MS);
      return () => clearTimeout(timer);
    }
    if (!wasLive.current) {
      // Starting up: only say something if it drags on.
      const timer = setTimeout(() => setShown('connecting'), FIRST_CONNECT_GRACE_MS);
      return () => clearTimeout(timer);
    }
    interrupted.current = true;
    setShown(status === 'offline' ? 'lost' : 'reconnecting');
    return undefined;
  }, [status, online]);

  const text =
    shown === 'offline'
      ? 'You’re offline. Messages you send will go out when you’re back.'
      : shown === 'lost'
        ? 'Connection lost. Reconnecting…'
        : shown === 'reconnecting'
          ? 'Reconnecting… catching up on what you missed.'
          : shown === 'connecting'
            ? 'Connecting…'
            : shown === 'caught-up'
              ? 'Back online — you’re all caught up.'
              : '';
  return (
    <div className={`connection-banner ${shown ? `connection-${shown}` : 'connection-hidden'}`} role="status" aria-live="polite" data-state={shown ?? 'hidden'}>
      {text && <span>{text}</span>}
      {shown === 'lost' && (
        <button type="button" className="link-button" onClick={() => client.reconnectNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
