import type { User } from '@parley/protocol';
import { useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';

/**
 * In place of the composer in a direct conversation with someone the viewer blocked: the
 * server refuses messages both ways while the block stands, so say so and offer the way back
 * instead of a composer whose every send fails.
 */
export function BlockedPeerNote({ peer, onUnblocked }: { peer: User; onUnblocked: () => void }) {
  const { client } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const unblock = () => {
    setBusy(true);
    setError(null);
    client.http.unblock(peer.id).then(
      () => onUnblocked(),
      (failure: unknown) => setError(describeError(failure)),
    ).finally(() => setBusy(false));
  };
  return (
    <div className="composer-disabled composer-blocked" role="status">
      <span className="composer-blocked-text">You blocked {peer.displayName}. Unblock them to send messages.</span>{' '}
      <button type="button" className="button button-small" disabled={busy} onClick={unblock}>
        Unblock
      </button>
      {error && <p className="form-error">{error}</p>}
    </div>
  );
}
