import { Limits } from '@parley/protocol/client';
import type { User } from '@parley/sdk';
import { type FormEvent, useId, useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { handleOf } from '../../lib/format.ts';
import { findUser } from '../../lib/lookup.ts';

/** Find someone by their exact handle and start (or open) the direct conversation with them. */
export function DirectChatForm({ onOpened }: { onOpened(conversationId: string): void }) {
  const { client, users } = useApp();
  const [handle, setHandle] = useState('');
  const [found, setFound] = useState<User | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();

  const find = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFound(null);
    const result = await findUser(client, handle);
    setBusy(false);
    if ('error' in result) return setError(result.error);
    users.put(result.user);
    setFound(result.user);
  };

  const start = async () => {
    if (!found) return;
    setBusy(true);
    try {
      const conversation = await client.createDirect(found.id);
      onOpened(conversation.id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  const isMe = found?.id === client.me?.id;
  return (
    <form onSubmit={find} className="stack" aria-label="Find a person">
      <label htmlFor={inputId}>Their handle</label>
      <div className="input-row">
        <input id={inputId} autoFocus autoCapitalize="none" spellCheck={false} placeholder="@handle" maxLength={Limits.handleMaxLength + 1} value={handle} onChange={(event) => (setHandle(event.target.value), setFound(null), setError(null))} />
        <button type="submit" className="button" disabled={busy || handle.trim() === ''}>
          Find
        </button>
      </div>
      <p className="field-hint">Handles are exact, like @alice — ask them for theirs.</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {found && (
        <div className="person-card" role="status">
          <Avatar id={found.id} name={found.displayName} picture={found.avatarId} />
          <div className="person-text">
            <strong>{found.displayName}</strong>
            <span>{handleOf(found)}</span>
          </div>
          {isMe ? (
            <span className="muted">That’s you</span>
          ) : (
            <button type="button" className="button button-primary" disabled={busy} onClick={start}>
              Message
            </button>
          )}
        </div>
      )}
    </form>
  );
}
