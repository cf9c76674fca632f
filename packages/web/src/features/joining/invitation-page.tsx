import type { ConversationPreview as Preview } from '@parley/protocol';
import { useEffect, useState } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { navigate } from '../../lib/router.ts';
import { ConversationPreview } from './conversation-preview.tsx';
import { JoinRequestNote, type JoinRequestState, useJoinRequestOutcome } from './join-request.tsx';
import './joining.css';

/** The `/join/<code>` page: what the link leads to, and joining it. */
export function InvitationPage({ code, onJoined }: { code: string; onJoined(conversationId: string): void }) {
  const { client } = useApp();
  const [preview, setPreview] = useState<{ conversation: Preview; requiresApproval: boolean } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [request, setRequest] = useState<JoinRequestState>('none');
  const [busy, setBusy] = useState(false);
  useJoinRequestOutcome(preview?.conversation.id ?? null, request, setRequest);

  useEffect(() => {
    let cancelled = false;
    client.http.invite(code).then(
      (result) => !cancelled && setPreview(result),
      (failure: unknown) => !cancelled && setLoadError(failure instanceof Error && 'code' in failure && failure.code === 'not_found' ? 'This invite link is not valid. It may have expired or been revoked.' : describeError(failure)),
    );
    return () => {
      cancelled = true;
    };
  }, [client, code]);

  const join = async () => {
    if (!preview) return;
    if (client.store.has(preview.conversation.id)) return onJoined(preview.conversation.id);
    setBusy(true);
    setError(null);
    try {
      setRequest('none');
      const conversation = await client.joinByInvite(code);
      if (conversation) onJoined(conversation.id);
      else if (!client.store.has(preview.conversation.id)) setRequest('pending');
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const member = preview !== null && client.store.has(preview.conversation.id);
  return (
    <div className="empty-main gov-join" role="region" aria-label="Invitation">
      <h2>Invitation</h2>
      {loadError ? (
        <p role="alert" className="form-error">
          {loadError}
        </p>
      ) : !preview ? (
        <p role="status">Loading the invitation…</p>
      ) : (
        <>
          <p>You were invited to join:</p>
          <ConversationPreview preview={preview.conversation} />
          {preview.requiresApproval && request === 'none' && !member && <p className="field-hint">An admin approves requests to join through this link.</p>}
          <FormError error={error} />
          <JoinRequestNote state={request} />
          {request !== 'pending' && (
            <button type="button" className="button button-primary" disabled={busy} onClick={join}>
              {member ? 'Open' : preview.requiresApproval ? (request === 'declined' ? 'Ask again' : 'Ask to join') : `Join ${preview.conversation.kind === 'channel' ? 'channel' : 'group'}`}
            </button>
          )}
        </>
      )}
      <button type="button" className="link-button" onClick={() => navigate('/')}>
        Back to conversations
      </button>
    </div>
  );
}
