import { Limits } from '@parley/protocol';
import type { User } from '@parley/sdk';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ChannelCreate, JoinByHandle } from '../features/governance-features.tsx';
import { useApp } from '../hooks/context.ts';
import { describeError } from '../lib/errors.ts';
import { handleOf } from '../lib/format.ts';
import { findUser } from '../lib/lookup.ts';
import { Avatar } from './avatar.tsx';
import { Dialog } from './dialog.tsx';

type Mode = 'direct' | 'group';

/** Start a direct conversation with someone by handle, or create a group. */
export function NewChatDialog({ open, onClose, onOpened }: { open: boolean; onClose(): void; onOpened(conversationId: string): void }) {
  const [mode, setMode] = useState<Mode>('direct');
  useEffect(() => {
    if (open) setMode('direct');
  }, [open]);
  return (
    <Dialog title="New conversation" open={open} onClose={onClose}>
      <div className="segmented" role="group" aria-label="Kind of conversation">
        <button type="button" aria-pressed={mode === 'direct'} className={mode === 'direct' ? 'active' : ''} onClick={() => setMode('direct')}>
          Direct message
        </button>
        <button type="button" aria-pressed={mode === 'group'} className={mode === 'group' ? 'active' : ''} onClick={() => setMode('group')}>
          New group
        </button>
      </div>
      {mode === 'direct' ? <DirectForm onOpened={onOpened} /> : <GroupForm onOpened={onOpened} />}
      <ChannelCreate onCreated={onOpened} />
      <JoinByHandle onJoined={onOpened} />
    </Dialog>
  );
}

function DirectForm({ onOpened }: { onOpened(conversationId: string): void }) {
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
          <Avatar id={found.id} name={found.displayName} />
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

function GroupForm({ onOpened }: { onOpened(conversationId: string): void }) {
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
