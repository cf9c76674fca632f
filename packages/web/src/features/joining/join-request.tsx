import { useEffect } from 'react';
import { useApp } from '../../hooks/context.ts';

/** Where the viewer's request to join stands (groups and channels that approve who joins). */
export type JoinRequestState = 'none' | 'pending' | 'approved' | 'declined';

/**
 * While a request to join waits: an approval brings the conversation (`conversationAdded`),
 * a decline is a user event. Either ends the wait.
 */
export function useJoinRequestOutcome(conversationId: string | null, state: JoinRequestState, setState: (state: JoinRequestState) => void): void {
  const { client } = useApp();
  useEffect(() => {
    if (state !== 'pending' || !conversationId) return;
    const offDeclined = client.on('userEvent', (event) => {
      if (event.type === 'join_request.declined' && event.data.conversationId === conversationId) setState('declined');
    });
    const offAdded = client.on('conversationAdded', (summary) => {
      if (summary.id === conversationId) setState('approved');
    });
    return () => {
      offDeclined();
      offAdded();
    };
  }, [client, conversationId, state, setState]);
}

/** What became of the request, in a sentence (nothing before one is made). */
export function JoinRequestNote({ state }: { state: JoinRequestState }) {
  if (state === 'pending') {
    return (
      <p className="form-ok" role="status">
        Request sent. An admin has to approve it; you will be let in as soon as they do.
      </p>
    );
  }
  if (state === 'approved') {
    return (
      <p className="form-ok" role="status">
        Your request was approved.
      </p>
    );
  }
  if (state === 'declined') {
    return (
      <p className="form-error" role="alert">
        Your request to join was declined.
      </p>
    );
  }
  return null;
}
