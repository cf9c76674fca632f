import { Limits } from '@parley/protocol/client';
import type { User } from '@parley/sdk';
import { type FormEvent, useId, useState } from 'react';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { findUser } from '../../lib/lookup.ts';

/** A new group: its title and the people to add, found by handle. */
export function NewGroupForm({ onOpened }: { onOpened(conversationId: string): void }) {
  const { client, users } = useApp();
  const [title, setTitle] = useState('');
  const [handle, setHandle] = useState('');
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), handle: useId() };

  const add = async () => {
    if (!handle.trim()) return;
    setError(null);
    setBusy(true);
    const result = await findUser(client, handle);
    setBusy(false);
    if ('error' in result) return setError(result.error);
    if (result.user.id === client.me?.id) return setError('You are in the group already, as its owner.');
    users.put(result.user);
    setMembers((list) => (list.some((user) => user.id === result.user.id) ? list : [...list, result.user]));
    setHandle('');
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setError('Give the group a title.');
    setBusy(true);
    setError(null);
    try {
      const conversation = await client.createGroup(title.trim(), members.map((user) => user.id));
      onOpened(conversation.id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={create} className="stack" aria-label="Create a group">
      <label htmlFor={ids.title}>Group title</label>
      <input id={ids.title} autoFocus required maxLength={Limits.titleMaxLength} value={title} onChange={(event) => setTitle(event.target.value)} />
      <label htmlFor={ids.handle}>Add people by handle</label>
      <div className="input-row">
        <input
          id={ids.handle}
          autoCapitalize="none"
          spellCheck={false}
          placeholder="@handle"
          value={handle}
          onChange={(event) => (setHandle(event.target.value), setError(null))}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void add();
            }
          }}
        />
        <button type="button" className="button" disabled={busy || handle.trim() === ''} onClick={add}>
          Add
        </button>
      </div>
      {members.length > 0 ? (
        <ul className="chips" aria-label="People to add">
          {members.map((user) => (
            <li key={user.id} className="chip">
              <span>{user.displayName}</span>
              <button type="button" className="chip-remove" aria-label={`Remove ${user.displayName}`} onClick={() => setMembers((list) => list.filter((entry) => entry.id !== user.id))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="field-hint">No one added yet — you can also add people later.</p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Create group
        </button>
      </div>
    </form>
  );
}
