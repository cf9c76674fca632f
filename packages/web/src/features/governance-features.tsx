/**
 * Governance and settings features: channels, joining by handle or invite, invite links,
 * member moderation, block and report, privacy settings, devices.
 *
 * Each slot is placed where its feature belongs in the UI, with the props it needs.
 */
import type { AddPrivacy, Conversation, ConversationPreview, Device, Invite, JoinRequest, Member, PresencePrivacy, Role, User } from '@parley/protocol';
import { Limits } from '@parley/protocol';
import { type FormEvent, type ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { Dialog } from '../components/dialog.tsx';
import { useNotify } from '../components/toasts.tsx';
import { useApp } from '../hooks/context.ts';
import { sessionIdOf } from '../lib/client.ts';
import { describeError } from '../lib/errors.ts';
import { assignableRoles, canBan, canManageInvites, canMute, canTransfer, roleLabel, sendBlockedReason } from '../lib/permissions.ts';
import { joinPath, navigate } from '../lib/router.ts';
import './governance-features.css';

type Slot<P> = (props: P) => React.ReactNode;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

const stripAt = (value: string) => value.trim().replace(/^@/u, '');
const kindLabel = (kind: ConversationPreview['kind']) => (kind === 'channel' ? 'Channel' : kind === 'group' ? 'Group' : 'Direct conversation');
const membersLabel = (preview: Pick<ConversationPreview, 'kind' | 'memberCount'>) =>
  `${preview.memberCount} ${preview.kind === 'channel' ? (preview.memberCount === 1 ? 'subscriber' : 'subscribers') : preview.memberCount === 1 ? 'member' : 'members'}`;

function ErrorText({ error }: { error: string | null }) {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}

/** An inline "are you sure?" step for destructive actions. */
function Confirm({ message, confirmLabel, onConfirm, onCancel }: { message: string; confirmLabel: string; onConfirm(): void; onCancel(): void }) {
  return (
    <div className="gov-confirm" role="group" aria-label="Confirm">
      <p>{message}</p>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button-danger" autoFocus onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </div>
  );
}

// --- channels and joining ---------------------------------------------------------------

/** A "Channel" choice in the new-chat dialog. */
export const ChannelCreate: Slot<{ onCreated(conversationId: string): void }> = ({ onCreated }) => {
  const { client } = useApp();
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [handle, setHandle] = useState('');
  const [description, setDescription] = useState('');
  const [approval, setApproval] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), handle: useId(), description: useId(), hint: useId(), form: useId(), approval: useId() };
  const isPublic = stripAt(handle) !== '';

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setError('Give the channel a title.');
    setBusy(true);
    setError(null);
    try {
      const h = stripAt(handle);
      const conversation = await client.createChannel(title.trim(), { ...(h ? { handle: h } : {}), ...(description.trim() ? { description: description.trim() } : {}) });
      if (h && approval) {
        // Approval only matters for handle joins (invite links carry their own).
        await client.http.updateConversation(conversation.id, { settings: { joinApproval: true } }).catch((failure: unknown) => {
          notify(`The channel was created, but approving subscribers could not be switched on: ${describeError(failure)}`);
        });
      }
      onCreated(conversation.id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  };

  return (
    <section className="gov-section" aria-label="Channel">
      <button type="button" className="button gov-disclosure" aria-expanded={open} aria-controls={ids.form} onClick={() => setOpen((value) => !value)}>
        Channel
        <span className="muted"> — broadcast to subscribers</span>
      </button>
      {open && (
        <form id={ids.form} className="stack" onSubmit={create} aria-label="Create a channel">
          <label htmlFor={ids.title}>Channel title</label>
          <input id={ids.title} autoFocus required maxLength={Limits.titleMaxLength} value={title} onChange={(event) => (setTitle(event.target.value), setError(null))} />
          <label htmlFor={ids.handle}>Public handle (optional)</label>
          <input id={ids.handle} autoCapitalize="none" spellCheck={false} placeholder="@handle" aria-describedby={ids.hint} value={handle} onChange={(event) => (setHandle(event.target.value), setError(null))} />
          <p id={ids.hint} className="field-hint">
            With a handle the channel is public: anyone can find it and subscribe. Without one it is private (invite links).
          </p>
          {isPublic && (
            <div className="gov-check">
              <input id={ids.approval} type="checkbox" checked={approval} onChange={(event) => setApproval(event.target.checked)} />
              <label htmlFor={ids.approval}>Admins approve each subscriber who joins by handle</label>
            </div>
          )}
          <label htmlFor={ids.description}>Description (optional)</label>
          <textarea id={ids.description} rows={2} maxLength={1000} value={description} onChange={(event) => setDescription(event.target.value)} />
          <ErrorText error={error} />
          <div className="dialog-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              Create channel
            </button>
          </div>
        </form>
      )}
    </section>
  );
};

function PreviewCard({ preview, children }: { preview: ConversationPreview; children?: ReactNode }) {
  return (
    <div className="person-card gov-preview" role="status" aria-label={`Preview of ${preview.title ?? 'conversation'}`}>
      <div className="person-text">
        <strong>{preview.title ?? 'Untitled'}</strong>
        <span>
          {kindLabel(preview.kind)} · {membersLabel(preview)}
          {preview.handle ? ` · @${preview.handle}` : ''}
        </span>
        {preview.description && <span className="gov-description">{preview.description}</span>}
      </div>
      {children}
    </div>
  );
}

type RequestState = 'none' | 'pending' | 'approved' | 'declined';

/**
 * While a request to join waits: an approval brings the conversation (`conversationAdded`),
 * a decline is a user event. Either ends the wait.
 */
function useRequestOutcome(conversationId: string | null, state: RequestState, setState: (state: RequestState) => void): void {
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

function RequestNote({ state }: { state: RequestState }) {
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

/** Look up a public group or channel by handle and join it. */
export const JoinByHandle: Slot<{ onJoined(conversationId: string): void }> = ({ onJoined }) => {
  const { client } = useApp();
  const [handle, setHandle] = useState('');
  const [preview, setPreview] = useState<ConversationPreview | null>(null);
  const [request, setRequest] = useState<RequestState>('none');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  useRequestOutcome(preview?.id ?? null, request, setRequest);

  const find = async (event: FormEvent) => {
    event.preventDefault();
    const h = stripAt(handle);
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
      const conversation = await client.joinByHandle(preview.handle ?? stripAt(handle));
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
          <button type="submit" className="button" disabled={busy || stripAt(handle) === ''}>
            Look up
          </button>
        </div>
        <ErrorText error={error} />
        {preview && (
          <PreviewCard preview={preview}>
            {request !== 'pending' && (
              <button type="button" className="button button-primary" disabled={busy} onClick={join}>
                {member ? 'Open' : preview.joinApproval ? (request === 'declined' ? 'Ask again' : 'Ask to join') : 'Join'}
              </button>
            )}
          </PreviewCard>
        )}
        {preview && <RequestNote state={request} />}
      </form>
    </section>
  );
};

/** The `/join/<code>` page: what the link leads to, and joining it. */
export function JoinByInvite({ code, onJoined }: { code: string; onJoined(conversationId: string): void }) {
  const { client } = useApp();
  const [preview, setPreview] = useState<{ conversation: ConversationPreview; requiresApproval: boolean } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [request, setRequest] = useState<RequestState>('none');
  const [busy, setBusy] = useState(false);
  useRequestOutcome(preview?.conversation.id ?? null, request, setRequest);

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
          <PreviewCard preview={preview.conversation} />
          {preview.requiresApproval && request === 'none' && !member && <p className="field-hint">An admin approves requests to join through this link.</p>}
          <ErrorText error={error} />
          <RequestNote state={request} />
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

// --- invites ------------------------------------------------------------------------------

const EXPIRY_OPTIONS: Array<{ label: string; seconds: number | null }> = [
  { label: 'Never', seconds: null },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
];

export function inviteUrl(code: string): string {
  return `${location.origin}${joinPath(code)}`;
}

/** Invite links of a conversation (create, copy, revoke) for members with manage_invites. */
export const InviteLinks: Slot<{ conversation: Conversation }> = ({ conversation }) => {
  const { client } = useApp();
  const notify = useNotify();
  const allowed = canManageInvites(conversation);
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [requests, setRequests] = useState<JoinRequest[]>([]);
  const [expiry, setExpiry] = useState('0');
  const [maxUses, setMaxUses] = useState('');
  const [approval, setApproval] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const ids = { expiry: useId(), uses: useId(), approval: useId(), heading: useId(), requests: useId() };
  const conversationId = conversation.id;

  const load = useCallback(async () => {
    try {
      const [list, pending] = await Promise.all([client.http.invites(conversationId), client.http.joinRequests(conversationId)]);
      setInvites(list.invites.filter((invite) => !invite.revoked));
      setRequests(pending.requests);
      setLoadError(null);
    } catch (failure) {
      setLoadError(`Could not load invite links: ${describeError(failure)}`);
    }
  }, [client, conversationId]);

  useEffect(() => {
    if (allowed) void load();
  }, [allowed, load]);

  // Admins hear of no new request to join (only the requester hears the answer): read the
  // list again now and then while the page is in view, on coming back to it, and when
  // someone joins (an invite's uses change).
  useEffect(() => {
    if (!allowed) return;
    const refresh = () => {
      if (document.visibilityState === 'visible') void load();
    };
    const timer = setInterval(refresh, 20_000);
    window.addEventListener('focus', refresh);
    document.addEventListener('visibilitychange', refresh);
    const off = client.on('event', (event) => {
      if (event.conversationId === conversationId && event.type === 'members.added') void load();
    });
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', refresh);
      document.removeEventListener('visibilitychange', refresh);
      off();
    };
  }, [allowed, client, conversationId, load]);

  if (!allowed) return null;

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const seconds = EXPIRY_OPTIONS[Number(expiry)]?.seconds ?? null;
    const uses = maxUses.trim() === '' ? undefined : Number(maxUses);
    if (uses !== undefined && (!Number.isInteger(uses) || uses < 1)) return setError('Max uses must be a whole number of at least 1.');
    setBusy(true);
    setError(null);
    try {
      await client.http.createInvite(conversationId, { ...(seconds ? { expiresInSec: seconds } : {}), ...(uses ? { maxUses: uses } : {}), ...(approval ? { requiresApproval: true } : {}) });
      setMaxUses('');
      await load();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (code: string) => {
    try {
      await navigator.clipboard.writeText(inviteUrl(code));
      notify('Invite link copied.');
    } catch {
      notify('Could not copy: select the link and copy it yourself.');
    }
  };

  const act = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (failure) {
      notify(`Could not ${what}: ${describeError(failure)}`);
    }
    await load();
  };

  return (
    <div className="panel-section gov-invites">
      <h3 id={ids.heading}>Invite links</h3>
      <form className="stack" onSubmit={create} aria-label="Create an invite link">
        <div className="gov-fields">
          <div>
            <label htmlFor={ids.expiry}>Expires</label>
            <select id={ids.expiry} value={expiry} onChange={(event) => setExpiry(event.target.value)}>
              {EXPIRY_OPTIONS.map((option, index) => (
                <option key={option.label} value={String(index)}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={ids.uses}>Max uses</label>
            <input id={ids.uses} type="number" min={1} inputMode="numeric" placeholder="No limit" value={maxUses} onChange={(event) => (setMaxUses(event.target.value), setError(null))} />
          </div>
        </div>
        <div className="gov-check">
          <input id={ids.approval} type="checkbox" checked={approval} onChange={(event) => setApproval(event.target.checked)} />
          <label htmlFor={ids.approval}>Admins approve each request</label>
        </div>
        <ErrorText error={error} />
        <button type="submit" className="button" disabled={busy}>
          Create link
        </button>
      </form>
      <ErrorText error={loadError} />
      {invites === null ? (
        !loadError && <p className="list-status">Loading links…</p>
      ) : invites.length === 0 ? (
        <p className="list-status">No active links.</p>
      ) : (
        <ul className="gov-list" aria-labelledby={ids.heading}>
          {invites.map((invite) => (
            <li key={invite.code} className="gov-invite" data-code={invite.code}>
              <code className="gov-link">{inviteUrl(invite.code)}</code>
              <span className="muted gov-meta">
                {invite.uses} {invite.uses === 1 ? 'use' : 'uses'}
                {invite.maxUses !== null ? ` of ${invite.maxUses}` : ''}
                {invite.expiresAt ? ` · expires ${formatDateTime(invite.expiresAt)}` : ' · no expiry'}
                {invite.requiresApproval ? ' · needs approval' : ''}
              </span>
              {revoking === invite.code ? (
                <Confirm
                  message="Revoke this link? Nobody can join with it any more."
                  confirmLabel="Revoke"
                  onCancel={() => setRevoking(null)}
                  onConfirm={() => {
                    setRevoking(null);
                    void act('revoke the link', () => client.http.revokeInvite(conversationId, invite.code));
                  }}
                />
              ) : (
                <span className="gov-actions">
                  <button type="button" className="button button-small" onClick={() => copy(invite.code)}>
                    Copy link
                  </button>
                  <button type="button" className="button button-small button-danger-outline" onClick={() => setRevoking(invite.code)}>
                    Revoke
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3 id={ids.requests}>
        Requests to join <span className="muted">({requests.length})</span>
      </h3>
      {requests.length === 0 ? (
        <p className="list-status">No pending requests.</p>
      ) : (
        <ul className="gov-list" aria-labelledby={ids.requests}>
          {requests.map((request) => (
            <li key={request.userId} className="gov-request">
              <span>
                <strong>{request.user.displayName}</strong>
                {request.user.handle && <span className="muted"> @{request.user.handle}</span>}
              </span>
              <span className="gov-actions">
                <button type="button" className="button button-small button-primary" aria-label={`Approve ${request.user.displayName}`} onClick={() => act('approve', () => client.http.approveJoin(conversationId, request.userId))}>
                  Approve
                </button>
                <button type="button" className="button button-small" aria-label={`Decline ${request.user.displayName}`} onClick={() => act('decline', () => client.http.declineJoin(conversationId, request.userId))}>
                  Decline
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="link-button" onClick={() => void load()}>
        Refresh
      </button>
    </div>
  );
};

// --- moderation ---------------------------------------------------------------------------

const MUTE_OPTIONS: DurationOption[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '8 hours', seconds: 8 * 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: 'Forever', seconds: null },
];
const BAN_OPTIONS: DurationOption[] = [
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: 'Forever', seconds: null },
];

type DurationOption = { label: string; seconds: number | null };

/** A labelled choice of how long (mute, ban); the value is the option's index. */
function DurationSelect({ id, label, options, value, onChange }: { id: string; label: string; options: DurationOption[]; value: string; onChange(value: string): void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {options.map((option, index) => (
          <option key={option.label} value={String(index)}>
            {option.label}
          </option>
        ))}
      </select>
    </>
  );
}

const isForever = (until: string) => until.startsWith('9999');
const mutedNow = (until: string | null) => until !== null && Date.parse(until) > Date.now();

type Pending = { kind: 'ban'; seconds: number | null; label: string } | { kind: 'transfer' } | null;

/** Mute, ban, change role, transfer ownership, as the viewer's rights allow. */
export const MemberModeration: Slot<{ conversation: Conversation; member: Member }> = ({ conversation, member }) => {
  const { client, users } = useApp();
  const notify = useNotify();
  const meId = client.me?.id ?? null;
  const [open, setOpen] = useState(false);
  const [mute, setMute] = useState('0');
  const [ban, setBan] = useState('0');
  const roles = assignableRoles(conversation, meId, member);
  const [role, setRole] = useState<Role>(member.role);
  const [confirm, setConfirm] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ids = { mute: useId(), ban: useId(), role: useId() };
  useEffect(() => setRole(member.role), [member.role]);

  if (member.userId === meId) return null;
  const name = users.get(member.userId)?.displayName ?? member.user.displayName;
  const mayMute = canMute(conversation, meId, member);
  const mayBan = canBan(conversation, meId, member);
  const mayTransfer = canTransfer(conversation, meId, member);
  const moderates = mayMute || mayBan || roles.length > 0 || mayTransfer;

  const run = async (what: string, action: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      if (done) notify(done);
      return true;
    } catch (failure) {
      setError(`Could not ${what}: ${describeError(failure)}`);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const close = () => {
    setOpen(false);
    setConfirm(null);
    setError(null);
  };

  return (
    <>
      {mutedNow(member.mutedUntil) && <span className="gov-muted-badge">Muted</span>}
      <button type="button" className="button button-small" aria-label={`${moderates ? 'Manage' : 'Options for'} ${name}`} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        {moderates ? 'Manage' : '…'}
      </button>
      <Dialog title={`${name}`} open={open} onClose={close}>
        <p className="muted">
          {roleLabel(member.role)} in {conversation.title ?? 'this conversation'}
          {mutedNow(member.mutedUntil) ? ` · muted ${isForever(member.mutedUntil!) ? 'until unmuted' : `until ${formatDateTime(member.mutedUntil!)}`}` : ''}
        </p>
        <ErrorText error={error} />
        {confirm ? (
          <Confirm
            message={
              confirm.kind === 'ban'
                ? `Ban ${name} ${confirm.seconds === null ? 'forever' : `for ${confirm.label}`}? They are removed and cannot come back, not even by an invite link.`
                : `Make ${name} the owner? You become an admin and cannot undo this yourself.`
            }
            confirmLabel={confirm.kind === 'ban' ? 'Ban' : 'Transfer ownership'}
            onCancel={() => setConfirm(null)}
            onConfirm={async () => {
              const pending = confirm;
              setConfirm(null);
              const ok =
                pending.kind === 'ban'
                  ? await run('ban', () => client.http.ban(conversation.id, { userId: member.userId, ...(pending.seconds ? { durationSec: pending.seconds } : {}) }), `${name} was banned.`)
                  : await run('transfer ownership', () => client.http.transfer(conversation.id, member.userId), `${name} is now the owner.`);
              if (ok) close();
            }}
          />
        ) : (
          <div className="stack gov-moderation">
            {mayMute &&
              (mutedNow(member.mutedUntil) ? (
                <div className="gov-row">
                  <span>Muted {isForever(member.mutedUntil!) ? 'until unmuted' : `until ${formatDateTime(member.mutedUntil!)}`}</span>
                  <button type="button" className="button" disabled={busy} onClick={() => run('unmute', () => client.http.unmute(conversation.id, member.userId), `${name} can send again.`)}>
                    Unmute
                  </button>
                </div>
              ) : (
                <div className="gov-row">
                  <DurationSelect id={ids.mute} label="Mute for" options={MUTE_OPTIONS} value={mute} onChange={setMute} />
                  <button
                    type="button"
                    className="button"
                    disabled={busy}
                    onClick={() => {
                      const seconds = MUTE_OPTIONS[Number(mute)]?.seconds ?? null;
                      void run('mute', () => client.http.mute(conversation.id, member.userId, seconds ? { durationSec: seconds } : {}), `${name} is muted.`);
                    }}
                  >
                    Mute
                  </button>
                </div>
              ))}
            {roles.length > 0 && (
              <div className="gov-row">
                <label htmlFor={ids.role}>Role</label>
                <select id={ids.role} value={role} onChange={(event) => setRole(event.target.value as Role)}>
                  {!roles.includes(member.role) && <option value={member.role}>{roleLabel(member.role)}</option>}
                  {roles.map((option) => (
                    <option key={option} value={option}>
                      {roleLabel(option)}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="button"
                  disabled={busy || role === member.role}
                  onClick={() => run('change the role', () => client.http.setRole(conversation.id, member.userId, { role: role as Exclude<Role, 'owner'> }), `${name} is now ${roleLabel(role).toLowerCase()}.`)}
                >
                  Change role
                </button>
              </div>
            )}
            {mayBan && (
              <div className="gov-row">
                <DurationSelect id={ids.ban} label="Ban for" options={BAN_OPTIONS} value={ban} onChange={setBan} />
                <button
                  type="button"
                  className="button button-danger-outline"
                  disabled={busy}
                  onClick={() => {
                    const option = BAN_OPTIONS[Number(ban)]!;
                    setConfirm({ kind: 'ban', seconds: option.seconds, label: option.label });
                  }}
                >
                  Ban
                </button>
              </div>
            )}
            {mayTransfer && (
              <div className="gov-row">
                <span>Hand this {conversation.kind} over</span>
                <button type="button" className="button button-danger-outline" disabled={busy} onClick={() => setConfirm({ kind: 'transfer' })}>
                  Transfer ownership
                </button>
              </div>
            )}
            <BlockAndReport conversation={conversation} userId={member.userId} />
          </div>
        )}
      </Dialog>
    </>
  );
};

// --- block and report ---------------------------------------------------------------------

const REPORT_REASONS = ['spam', 'abuse', 'harassment', 'violence', 'illegal', 'other'] as const;

function useBlocks(): { blocked: ReadonlySet<string> | null; refresh(): void } {
  const { client } = useApp();
  const [blocked, setBlocked] = useState<ReadonlySet<string> | null>(null);
  const refresh = useCallback(() => {
    client.http.blocks().then(
      (result) => setBlocked(new Set(result.users.map((user: User) => user.id))),
      () => setBlocked((current) => current ?? new Set()),
    );
  }, [client]);
  useEffect(() => {
    refresh();
    return client.on('userEvent', (event) => {
      if (event.type === 'block.added' || event.type === 'block.removed') refresh();
    });
  }, [client, refresh]);
  return { blocked, refresh };
}

/** Block and report, in a direct conversation's header and on members. */
export const BlockAndReport: Slot<{ conversation: Conversation; userId: string }> = ({ conversation, userId }) => {
  const { client, users } = useApp();
  const notify = useNotify();
  const { blocked, refresh } = useBlocks();
  const [confirming, setConfirming] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [target, setTarget] = useState<'user' | 'conversation'>('user');
  const [reason, setReason] = useState<(typeof REPORT_REASONS)[number]>('spam');
  const [comment, setComment] = useState('');
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { reason: useId(), comment: useId(), target: useId() };
  if (userId === client.me?.id) return null;
  const name = users.get(userId)?.displayName ?? (conversation.peer?.id === userId ? conversation.peer.displayName : 'this person');
  const isBlocked = blocked?.has(userId) ?? false;

  const toggleBlock = async () => {
    setBusy(true);
    setStatus(null);
    try {
      if (isBlocked) await client.http.unblock(userId);
      else await client.http.block(userId);
      notify(isBlocked ? `${name} is unblocked.` : `${name} is blocked.`);
    } catch (failure) {
      setStatus({ kind: 'error', text: describeError(failure) });
    } finally {
      setBusy(false);
      refresh();
    }
  };

  const sendReport = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setStatus(null);
    try {
      await client.http.report({
        targetType: target,
        targetId: target === 'user' ? userId : conversation.id,
        ...(target === 'user' || conversation.kind !== 'direct' ? { conversationId: conversation.id } : {}),
        reason,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      setReporting(false);
      setComment('');
      setStatus({ kind: 'ok', text: 'Report sent. Thank you.' });
    } catch (failure) {
      setStatus({ kind: 'error', text: describeError(failure) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="gov-safety" role="group" aria-label={`Safety: ${name}`}>
      {isBlocked && <p className="notice">You blocked {name}. Neither of you can write in your direct conversation.</p>}
      {confirming ? (
        <Confirm
          message={`Block ${name}? You stop each other from messaging directly, and they cannot add you to groups.`}
          confirmLabel="Block"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void toggleBlock();
          }}
        />
      ) : (
        <div className="gov-actions">
          <button type="button" className={isBlocked ? 'button button-small' : 'button button-small button-danger-outline'} disabled={busy || blocked === null} onClick={() => (isBlocked ? void toggleBlock() : setConfirming(true))}>
            {isBlocked ? `Unblock ${name}` : `Block ${name}`}
          </button>
          <button type="button" className="button button-small" aria-expanded={reporting} onClick={() => (setReporting((value) => !value), setStatus(null))}>
            Report…
          </button>
        </div>
      )}
      {reporting && (
        <form className="stack gov-report" onSubmit={sendReport} aria-label="Report">
          <fieldset>
            <legend>What to report</legend>
            <label className="gov-radio">
              <input type="radio" name={ids.target} checked={target === 'user'} onChange={() => setTarget('user')} /> {name}
            </label>
            <label className="gov-radio">
              <input type="radio" name={ids.target} checked={target === 'conversation'} onChange={() => setTarget('conversation')} /> This conversation
            </label>
          </fieldset>
          <label htmlFor={ids.reason}>Reason</label>
          <select id={ids.reason} value={reason} onChange={(event) => setReason(event.target.value as (typeof REPORT_REASONS)[number])}>
            {REPORT_REASONS.map((option) => (
              <option key={option} value={option}>
                {option.charAt(0).toUpperCase() + option.slice(1)}
              </option>
            ))}
          </select>
          <label htmlFor={ids.comment}>Details (optional)</label>
          <textarea id={ids.comment} rows={2} maxLength={1000} value={comment} onChange={(event) => setComment(event.target.value)} />
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setReporting(false)}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy}>
              Send report
            </button>
          </div>
        </form>
      )}
      {status && (
        <p className={status.kind === 'error' ? 'form-error' : 'form-ok'} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.text}
        </p>
      )}
    </div>
  );
};

// --- sending restrictions -----------------------------------------------------------------

/** In place of the composer: why the viewer cannot send here. */
export function SendBlockedNote({ conversation }: { conversation: Conversation }) {
  const { client } = useApp();
  const reason = sendBlockedReason(conversation);
  // A mute ends without an event: ask the server for the rights again when it runs out.
  const { id, mutedUntil } = conversation;
  useEffect(() => {
    if (!mutedUntil || isForever(mutedUntil)) return;
    const delay = Date.parse(mutedUntil) - Date.now() + 1_000;
    if (!(delay > 0) || delay > 2_000_000_000) return;
    const timer = setTimeout(() => {
      client.http.conversation(id).then(({ conversation: fresh }) => client.store.putSummary(fresh), () => {});
    }, delay);
    return () => clearTimeout(timer);
  }, [client, id, mutedUntil]);
  const text =
    reason === 'muted'
      ? `You are muted here${conversation.mutedUntil && !isForever(conversation.mutedUntil) ? ` until ${formatDateTime(conversation.mutedUntil)}` : ''}, so you cannot send messages.`
      : reason === 'subscriber'
        ? 'You are a subscriber: only admins post in this channel.'
        : 'Only some members can send messages here.';
  return (
    <p className="composer-disabled" role="status">
      {text}
    </p>
  );
}

// --- settings -----------------------------------------------------------------------------

/** "Contacts" differ: for adding, people you have written to directly; for presence, anyone you share a direct chat or group with. */
const ADD_AUDIENCE: Array<{ value: AddPrivacy; label: string }> = [
  { value: 'everyone', label: 'Everyone' },
  { value: 'contacts', label: 'People I have written to in a direct chat' },
  { value: 'nobody', label: 'Nobody' },
];
const PRESENCE_AUDIENCE: Array<{ value: PresencePrivacy; label: string }> = [
  { value: 'everyone', label: 'Everyone' },
  { value: 'contacts', label: 'People I share a direct chat or group with' },
  { value: 'nobody', label: 'Nobody' },
];

/** Who may add me to groups and channels. */
export const PrivacySettings: Slot<Record<string, never>> = () => {
  const { client } = useApp();
  const [addPrivacy, setAddPrivacy] = useState<AddPrivacy | null>(null);
  const [presence, setPresence] = useState<PresencePrivacy | null>(null);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const ids = { add: useId(), presence: useId(), hint: useId() };

  useEffect(() => {
    let cancelled = false;
    client.http.settings().then(
      (result) => !cancelled && setAddPrivacy(result.settings.addPrivacy),
      (failure: unknown) => !cancelled && setStatus({ kind: 'error', text: `Could not load privacy settings: ${describeError(failure)}` }),
    );
    client.http.presencePrivacy().then(
      (result) => !cancelled && setPresence(result.privacy),
      () => {},
    );
    const off = client.on('userEvent', (event) => {
      if (event.type !== 'settings.updated') return;
      if (event.data.addPrivacy) setAddPrivacy(event.data.addPrivacy);
      if (event.data.presencePrivacy) setPresence(event.data.presencePrivacy);
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [client]);

  const save = async (what: 'add' | 'presence', value: AddPrivacy) => {
    const before = what === 'add' ? addPrivacy : presence;
    if (what === 'add') setAddPrivacy(value);
    else setPresence(value);
    setStatus(null);
    try {
      if (what === 'add') await client.http.updateSettings({ addPrivacy: value });
      else await client.setPresencePrivacy(value);
      setStatus({ kind: 'ok', text: 'Privacy settings saved.' });
    } catch (failure) {
      if (what === 'add') setAddPrivacy(before);
      else setPresence(before);
      setStatus({ kind: 'error', text: describeError(failure) });
    }
  };

  return (
    <section className="stack gov-settings" aria-labelledby={ids.hint}>
      <h3 id={ids.hint}>Privacy</h3>
      <label htmlFor={ids.add}>Who can add me to groups and channels</label>
      <select id={ids.add} value={addPrivacy ?? ''} disabled={addPrivacy === null} onChange={(event) => void save('add', event.target.value as AddPrivacy)}>
        {addPrivacy === null && <option value="">Loading…</option>}
        {ADD_AUDIENCE.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <p className="field-hint">Invite links work whatever you choose. People you blocked can never add you.</p>
      <label htmlFor={ids.presence}>Who can see when I am online</label>
      <select id={ids.presence} value={presence ?? ''} disabled={presence === null} onChange={(event) => void save('presence', event.target.value as PresencePrivacy)}>
        {presence === null && <option value="">Loading…</option>}
        {PRESENCE_AUDIENCE.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <p className="field-hint">People you blocked never see it; you always see your own.</p>
      {status && (
        <p className={status.kind === 'error' ? 'form-error' : 'form-ok'} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.text}
        </p>
      )}
    </section>
  );
};

/** The viewer's device sessions, with revoke. */
export const DevicesSettings: Slot<Record<string, never>> = () => {
  const { client } = useApp();
  const notify = useNotify();
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Device | null>(null);
  const headingId = useId();

  const load = useCallback(async () => {
    try {
      setDevices(await client.devices());
      setError(null);
    } catch (failure) {
      setError(`Could not load devices: ${describeError(failure)}`);
    }
  }, [client]);
  useEffect(() => {
    void load();
  }, [load]);

  const currentId = sessionIdOf(client);
  const isCurrent = (device: Device) => (currentId ? device.id === currentId : device.current);
  const sorted = devices ? [...devices].sort((a, b) => Number(isCurrent(b)) - Number(isCurrent(a)) || (a.lastUsedAt < b.lastUsedAt ? 1 : -1)) : null;

  return (
    <section className="stack gov-settings" aria-labelledby={headingId}>
      <h3 id={headingId}>Devices</h3>
      <ErrorText error={error} />
      {sorted === null ? (
        !error && <p className="list-status">Loading devices…</p>
      ) : (
        <ul className="gov-list" aria-labelledby={headingId}>
          {sorted.map((device) => {
            const name = device.name ?? 'Unnamed device';
            return (
              <li key={device.id} className="gov-device" data-current={isCurrent(device) || undefined}>
                <span className="gov-device-text">
                  <strong>{name}</strong>
                  {isCurrent(device) && <span className="gov-badge">This device</span>}
                  <span className="muted">Last active {formatDateTime(device.lastUsedAt)}</span>
                </span>
                {!isCurrent(device) &&
                  (revoking?.id === device.id ? (
                    <Confirm
                      message={`Sign out ${name}? It will have to sign in again.`}
                      confirmLabel="Sign out"
                      onCancel={() => setRevoking(null)}
                      onConfirm={async () => {
                        setRevoking(null);
                        try {
                          await client.revokeDevice(device.id);
                          notify(`${name} was signed out.`);
                        } catch (failure) {
                          notify(`Could not sign out the device: ${describeError(failure)}`);
                        }
                        await load();
                      }}
                    />
                  ) : (
                    <button type="button" className="button button-small button-danger-outline" aria-label={`Sign out ${name}, last active ${formatDateTime(device.lastUsedAt)}`} onClick={() => setRevoking(device)}>
                      Sign out
                    </button>
                  ))}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
};
