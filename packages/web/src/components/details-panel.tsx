import { Limits, type Member } from '@parley/protocol';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { PresenceDot } from '../features/message-features.tsx';
import { BlockAndReport, InviteLinks, MemberModeration } from '../features/governance-features.tsx';
import { useApp } from '../hooks/context.ts';
import { useStoreVersion, useUsersVersion } from '../hooks/use-store.ts';
import { describeError } from '../lib/errors.ts';
import { conversationTitle, handleOf } from '../lib/format.ts';
import { findUser } from '../lib/lookup.ts';
import { canAddMembers, canLeave, canRemoveMember, canRename, roleLabel } from '../lib/permissions.ts';
import { navigate } from '../lib/router.ts';
import { Avatar } from './avatar.tsx';
import { CloseIcon, ConfirmDialog } from './dialog.tsx';
import { useNotify } from './toasts.tsx';

const ROLE_ORDER = { owner: 0, admin: 1, moderator: 2, member: 3, subscriber: 4 } as const;

/** A conversation's details: the other person, or a group's title, members (with roles) and what the viewer may manage. */
export function DetailsPanel({ conversationId, onClose }: { conversationId: string; onClose(): void }) {
  const { client, users } = useApp();
  useStoreVersion(client, conversationId);
  useUsersVersion(users);
  const notify = useNotify();
  const panel = useRef<HTMLElement>(null);
  const [confirm, setConfirm] = useState<{ kind: 'remove'; member: Member } | { kind: 'leave' } | null>(null);
  const state = client.store.get(conversationId);

  useEffect(() => {
    panel.current?.querySelector<HTMLElement>('.panel-close')?.focus();
  }, []);
  const needsMembers = state !== undefined && state.members === null;
  useEffect(() => {
    if (needsMembers) client.loadMembers(conversationId).catch((error: unknown) => notify(`Could not load members: ${describeError(error)}`));
  }, [client, conversationId, needsMembers, notify]);

  if (!state) return null;
  const summary = state.summary;
  const meId = client.me?.id ?? null;
  const members = state.members ? [...state.members.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.user.displayName.localeCompare(b.user.displayName)) : null;

  return (
    <aside
      ref={panel}
      className="details-panel"
      aria-label="Conversation details"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <header className="panel-header">
        <h2>{summary.kind === 'direct' ? 'Details' : summary.kind === 'channel' ? 'Channel' : 'Group'}</h2>
        <button type="button" className="icon-button panel-close" aria-label="Close details" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {summary.kind === 'direct' ? (
        summary.peer && (
          <div className="panel-section profile">
            <Avatar id={summary.peer.id} name={summary.peer.displayName} size="lg" badge={<PresenceDot userId={summary.peer.id} />} />
            <strong>{summary.peer.displayName}</strong>
            <span className="muted">{handleOf(summary.peer)}</span>
            <BlockAndReport conversation={summary} userId={summary.peer.id} />
          </div>
        )
      ) : (
        <>
          <div className="panel-section">
            {canRename(summary) ? <RenameForm conversationId={conversationId} current={summary.title ?? ''} /> : <p className="panel-title">{conversationTitle(summary)}</p>}
          </div>
          <InviteLinks conversation={summary} />
          <div className="panel-section">
            <h3 id={`${conversationId}-members`}>
              Members <span className="muted">({summary.memberCount})</span>
            </h3>
            {canAddMembers(summary) && <AddMemberForm conversationId={conversationId} />}
            {members === null ? (
              <p className="list-status">Loading members…</p>
            ) : members.length === 0 ? (
              <p className="list-status">No members.</p>
            ) : (
              <ul className="member-list" aria-labelledby={`${conversationId}-members`}>
                {members.map((member) => {
                  const user = users.get(member.userId) ?? member.user;
                  const isMe = member.userId === meId;
                  return (
                    <li key={member.userId} className="member" data-user-id={member.userId}>
                      <Avatar id={member.userId} name={user.displayName} size="sm" badge={<PresenceDot userId={member.userId} />} />
                      <span className="member-text">
                        <span className="member-name">
                          {user.displayName}
                          {isMe && <span className="muted"> (you)</span>}
                        </span>
                        <span className="member-handle muted">{handleOf(user)}</span>
                      </span>
                      {member.role !== 'member' && member.role !== 'subscriber' && <span className={`role-badge role-${member.role}`}>{roleLabel(member.role)}</span>}
                      <MemberModeration conversation={summary} member={member} />
                      {canRemoveMember(summary, meId, member) && (
                        <button type="button" className="button button-small" aria-label={`Remove ${user.displayName}`} onClick={() => setConfirm({ kind: 'remove', member })}>
                          Remove
                        </button>
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
          </div>
          {canLeave(summary) && (
            <div className="panel-section">
              <button type="button" className="button button-danger-outline" onClick={() => setConfirm({ kind: 'leave' })}>
                Leave {summary.kind === 'channel' ? 'channel' : 'group'}
              </button>
            </div>
          )}
        </>
      )}
      <ConfirmDialog
        open={confirm !== null}
        title={confirm?.kind === 'remove' ? 'Remove member?' : `Leave ${conversationTitle(summary)}?`}
        message={confirm?.kind === 'remove' ? `${users.get(confirm.member.userId)?.displayName ?? confirm.member.user.displayName} will no longer see new messages here.` : 'You will stop receiving its messages. Someone will have to add you back.'}
        confirmLabel={confirm?.kind === 'remove' ? 'Remove' : 'Leave'}
        danger
        onClose={() => setConfirm(null)}
        onConfirm={() => {
          if (!confirm) return;
          if (confirm.kind === 'remove') {
            client.http.removeMember(conversationId, confirm.member.userId).catch((error: unknown) => notify(`Could not remove: ${describeError(error)}`));
          } else {
            client.http.leave(conversationId).then(
              () => navigate('/'),
              (error: unknown) => notify(`Could not leave: ${describeError(error)}`),
            );
          }
        }}
      />
    </aside>
  );
}

function RenameForm({ conversationId, current }: { conversationId: string; current: string }) {
  const { client } = useApp();
  const notify = useNotify();
  const [title, setTitle] = useState(current);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  useEffect(() => setTitle(current), [current]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const next = title.trim();
    if (!next || next === current) return;
    setBusy(true);
    try {
      await client.http.updateConversation(conversationId, { title: next });
    } catch (error) {
      notify(`Could not rename: ${describeError(error)}`);
      setTitle(current);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={save} aria-label="Rename">
      <label htmlFor={inputId}>Title</label>
      <div className="input-row">
        <input id={inputId} required maxLength={Limits.titleMaxLength} value={title} onChange={(event) => setTitle(event.target.value)} />
        <button type="submit" className="button" disabled={busy || title.trim() === '' || title.trim() === current}>
          Rename
        </button>
      </div>
    </form>
  );
}

function AddMemberForm({ conversationId }: { conversationId: string }) {
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
