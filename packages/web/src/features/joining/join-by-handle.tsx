import type { ConversationPreview as Preview } from '@parley/protocol';
import { type FormEvent, useId, useState } from 'react';
import { FormError } from '../../components/form-error.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { cleanHandle } from '../../lib/lookup.ts';
import { ConversationPreview } from './conversation-preview.tsx';
import { JoinRequestNote, type JoinRequestState, useJoinRequestOutcome } from './join-request.tsx';
import '../../components/forms.css';

/** Look up a public group or channel by handle and join it (or ask to). */
export function JoinByHandle({ onJoined }: { onJoined(conversationId: string): void }) {
  const { client } = useApp();
  const [handle, setHandle] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [request, setRequest] = useState<JoinRequestState>('none');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  useJoinRequestOutcome(preview?.id ?? null, request, setRequest);

  const find = async (event: FormEvent) => {
    event.preventDefault();
    const h = cleanHandle(handle);
    if (!h) return;
    setBusy(true);
    setError(null);
    setPreview(null);
    setRequest('none');
    try {
      setPreview((await client.http.conversationByHandle(h)).conversation);
    } catch (failure) {
      setError(failure instanceof Error && 'code' in failure && failure.code === 'not_found' ? `No public group or channel is called @${h}.` : describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const join = async () => {
    if (!preview) return;
    if (client.store.has(preview.id)) return onJoined(preview.id);
    setBusy(true);
    setError(null);
    try {
      setRequest('none');
      const conversation = await client.joinByHandle(preview.handle ?? cleanHandle(handle));
      if (conversation) onJoined(conversation.id);
      else if (!client.store.has(preview.id)) setRequest('pending');
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const member = preview !== null && client.store.has(preview.id);
  return (
    <section className="gov-section" aria-label="Join by handle">
      <form className="stack" onSubmit={find} aria-label="Find a group or channel">
        <label htmlFor={inputId}>Join a public group or channel</label>
        <div className="input-row">
          <input id={inputId} autoCapitalize="none" spellCheck={false} placeholder="@handle" value={handle} onChange={(event) => (setHandle(event.target.value), setPreview(null), setError(null), setRequest('none'))} />
          <button type="submit" className="button" disabled={busy || cleanHandle(handle) === ''}>
            Look up
          </button>
        </div>
        <FormError error={error} />
        {preview && (
          <ConversationPreview preview={preview}>
            {request !== 'pending' && (
              <button type="button" className="button button-primary" disabled={busy} onClick={join}>
                {member ? 'Open' : preview.joinApproval ? (request === 'declined' ? 'Ask again' : 'Ask to join') : 'Join'}
              </button>
            )}
          </ConversationPreview>
        )}
        {preview && <JoinRequestNote state={request} />}
      </form>
    </section>
  );
}
