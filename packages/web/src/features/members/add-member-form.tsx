import { type FormEvent, useId, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { findUser } from '../../lib/lookup.ts';

/** Add someone to the conversation by their exact handle. */
export function AddMemberForm({ conversationId }: { conversationId: string }) {
  const { client, users } = useApp();
  const [handle, setHandle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const result = await findUser(client, handle);
    if ('error' in result) {
      setBusy(false);
      return setError(result.error);
    }
    users.put(result.user);
    if (client.store.get(conversationId)?.members?.has(result.user.id)) {
      setBusy(false);
      return setError(`${result.user.displayName} is already a member.`);
    }
    try {
      await client.http.addMembers(conversationId, { userIds: [result.user.id] });
      setHandle('');
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={add} aria-label="Add a member">
      <label htmlFor={inputId}>Add people by handle</label>
      <div className="input-row">
        <input id={inputId} autoCapitalize="none" spellCheck={false} placeholder="@handle" value={handle} onChange={(event) => (setHandle(event.target.value), setError(null))} />
        <button type="submit" className="button" disabled={busy || handle.trim() === ''}>
          Add
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
