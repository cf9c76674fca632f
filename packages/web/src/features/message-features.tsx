/**
 * Message and live features: reactions, the message menu's extra actions (react, pin,
 * forward, report), the pinned bar, read ticks, typing, presence.
 *
 * Each slot is placed where its feature belongs in the UI, with the props it needs.
 * Nothing here fakes a feature: no local-only reactions, no invented presence. Every
 * change is asked of the server and shown once its event arrives through the SDK store.
 */
import type { Conversation, Message, Presence } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { type FormEvent, useCallback, useEffect, useId, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Avatar } from '../components/avatar.tsx';
import { CloseIcon, Dialog } from '../components/dialog.tsx';
import { useNotify } from '../components/toasts.tsx';
import { useApp } from '../hooks/context.ts';
import { useMessageStatus, useNow, usePresence, useTyping } from '../hooks/use-live.ts';
import { useStoreVersion, useUsersVersion } from '../hooks/use-store.ts';
import { describeError } from '../lib/errors.ts';
import { conversationTitle, previewText, timeLabel } from '../lib/format.ts';
import { canSend } from '../lib/permissions.ts';
import './message-features.css';

type Slot<P> = (props: P) => React.ReactNode;

/** The few reactions offered by the picker; chips show whatever the server counts. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;

/** Report reasons the server accepts, as a person reads them. */
const REPORT_REASONS = [
  { value: 'spam', label: 'Spam' },
  { value: 'abuse', label: 'Abuse' },
  { value: 'harassment', label: 'Harassment' },
  { value: 'violence', label: 'Violence' },
  { value: 'illegal', label: 'Illegal content' },
  { value: 'other', label: 'Something else' },
] as const;
type ReportReason = (typeof REPORT_REASONS)[number]['value'];

// --- shared helpers ------------------------------------------------------------------------

/** The conversation as the store has it now (the prop may be an older render's object). */
function current(client: ParleyClient, conversation: Conversation): Conversation {
  return client.store.get(conversation.id)?.summary ?? conversation;
}

/** Pinning is a right (`pin_messages`, held by direct members too); the server decides in the end. */
function canPin(conversation: Pick<Conversation, 'kind' | 'role' | 'rights'>): boolean {
  return Array.isArray(conversation.rights) ? conversation.rights.includes('pin_messages') : conversation.kind !== 'direct' && conversation.role === 'owner';
}

function messageElement(messageId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`.message-scroller [data-message-id="${CSS.escape(messageId)}"]`);
}

/** Focus back on a message's action button (after its picker or a dialog closes). */
function focusMessageActions(messageId: string): void {
  messageElement(messageId)?.querySelector<HTMLElement>('.message-menu-button')?.focus();
}

function flash(target: HTMLElement): void {
  target.scrollIntoView({ block: 'center' });
  target.classList.add('flash');
  setTimeout(() => target.classList.remove('flash'), 1200);
  target.focus({ preventScroll: true });
}

/**
 * Which message has its reaction picker or a dialog open. One at a time: the menu that
 * asks for it closes (and unmounts) at once, so the message itself shows it.
 */
type MessageAction = { kind: 'react' | 'forward' | 'report'; conversationId: string; messageId: string };
let openAction: MessageAction | null = null;
const actionListeners = new Set<() => void>();

function setAction(action: MessageAction | null): void {
  openAction = action;
  for (const listener of actionListeners) listener();
}

function subscribeAction(listener: () => void): () => void {
  actionListeners.add(listener);
  return () => actionListeners.delete(listener);
}

function useActionFor(conversationId: string, messageId: string): MessageAction['kind'] | null {
  return useSyncExternalStore(subscribeAction, () => (openAction && openAction.conversationId === conversationId && openAction.messageId === messageId ? openAction.kind : null));
}

function closeAction(messageId: string, refocus: boolean): void {
  if (openAction?.messageId !== messageId) return;
  setAction(null);
  if (refocus) focusMessageActions(messageId);
}

// --- pinned bar ----------------------------------------------------------------------------

/** The pinned-message bar under the conversation header: the newest pin first, each click shows one and moves to the next. */
export const PinnedBar: Slot<{ conversation: Conversation }> = ({ conversation }) => {
  const { client, users } = useApp();
  useStoreVersion(client, conversation.id);
  useUsersVersion(users);
  const notify = useNotify();
  const state = client.store.get(conversation.id);
  const summary = state?.summary ?? conversation;
  const ids = summary.pinnedMessageIds;
  const idsKey = ids.join(',');
  const [index, setIndex] = useState(0);
  const [fetched, setFetched] = useState<Map<string, Message>>(() => new Map());
  const [busy, setBusy] = useState(false);

  useEffect(() => setIndex(0), [idsKey]);

  // Pinned messages that are not loaded come from the pins route (once per change of the pins).
  const loaded = new Map((state?.messages ?? []).map((message) => [message.id, message]));
  const missing = ids.some((id) => !loaded.has(id) && !fetched.has(id));
  useEffect(() => {
    if (!missing) return;
    let cancelled = false;
    client.http.pins(conversation.id).then(
      ({ messages }) => {
        if (!cancelled) setFetched(new Map(messages.map((message) => [message.id, message])));
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [client, conversation.id, idsKey, missing]);

  if (ids.length === 0) return null;
  const shownIndex = Math.min(index, ids.length - 1);
  const messageId = ids[shownIndex]!;
  const message = loaded.get(messageId) ?? fetched.get(messageId) ?? null;
  const text = message === null ? 'Loading…' : message.deletedAt !== null || message.text === null ? 'Message deleted' : previewText(message.text, 140);
  const who = message ? (message.senderId === client.me?.id ? 'You' : users.name(message.senderId)) : null;
  const label = ids.length > 1 ? `Pinned message ${shownIndex + 1} of ${ids.length}` : 'Pinned message';

  const jump = async () => {
    if (ids.length > 1) setIndex((shownIndex + 1) % ids.length);
    let target = messageElement(messageId);
    // Older than what is loaded: page back to it (bounded), then show it.
    for (let pages = 0; !target && message && pages < 20; pages++) {
      const now = client.store.get(conversation.id);
      const first = now?.messages?.[0];
      if (!now || !now.hasOlder || (first && first.seq <= message.seq)) break;
      try {
        await client.loadOlder(conversation.id);
      } catch (error) {
        notify(`Could not load the pinned message: ${describeError(error)}`);
        return;
      }
      target = await waitForElement(messageId);
    }
    target ??= await waitForElement(messageId);
    if (target) flash(target);
    else notify('That message is not available any more.');
  };

  const unpin = () => {
    setBusy(true);
    client.http
      .unpin(conversation.id, messageId)
      .catch((error: unknown) => notify(`Could not unpin: ${describeError(error)}`))
      .finally(() => setBusy(false));
  };

  return (
    <section className="pinned-bar" aria-label="Pinned messages">
      <span className="pinned-mark" aria-hidden="true">
        {ids.length > 1 ? ids.map((id, i) => <span key={id} className={i === shownIndex ? 'active' : ''} />) : <span className="active" />}
      </span>
      <button type="button" className="pinned-main" onClick={() => void jump()} aria-label={`${label}${who ? ` from ${who}` : ''}: ${text}. Show it.`}>
        <span className="pinned-label">{label}</span>
        <span className="pinned-text">{text}</span>
      </button>
      {canPin(summary) && (
        <button type="button" className="icon-button pinned-unpin" aria-label="Unpin message" title="Unpin" disabled={busy} onClick={unpin}>
          <CloseIcon />
        </button>
      )}
    </section>
  );
};

/** The message's element once React has rendered it (up to about a second). */
function waitForElement(messageId: string): Promise<HTMLElement | null> {
  return new Promise((resolve) => {
    let frames = 0;
    const check = () => {
      const found = messageElement(messageId);
      if (found || ++frames > 60) resolve(found);
      else requestAnimationFrame(check);
    };
    check();
  });
}

// --- reactions -----------------------------------------------------------------------------

/** Reaction chips under a message (toggle yours), the picker, and the message's forward/report dialogs. */
export const MessageReactions: Slot<{ conversation: Conversation; message: Message }> = ({ conversation, message: given }) => {
  const { client } = useApp();
  useStoreVersion(client, conversation.id);
  const notify = useNotify();
  const action = useActionFor(conversation.id, given.id);
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const state = client.store.get(conversation.id);
  // The store updates reaction counts in place: read the message as it is now.
  const message = state?.messages?.find((m) => m.id === given.id) ?? given;
  const mine = new Set(state?.myReactions.get(message.id) ?? []);

  const toggle = (emoji: string) => {
    if (busy.has(emoji)) return;
    setBusy((set) => new Set(set).add(emoji));
    const request = mine.has(emoji) ? client.http.unreact(conversation.id, message.id, emoji) : client.http.react(conversation.id, message.id, emoji);
    request
      .catch((error: unknown) => notify(`Could not react: ${describeError(error)}`))
      .finally(() =>
        setBusy((set) => {
          const next = new Set(set);
          next.delete(emoji);
          return next;
        }),
      );
  };

  const reactions = message.reactions;
  const picking = action === 'react';
  const dialogs = (
    <>
      {action === 'forward' && <ForwardDialog conversation={current(client, conversation)} message={message} />}
      {action === 'report' && <ReportDialog conversation={current(client, conversation)} message={message} />}
    </>
  );
  if (reactions.length === 0 && !picking) return dialogs;
  return (
    <div className="reactions">
      {reactions.length > 0 && (
        <ul className="reaction-chips" aria-label="Reactions">
          {reactions.map(({ emoji, count }) => (
            <li key={emoji}>
              <button
                type="button"
                className="reaction-chip"
                aria-pressed={mine.has(emoji)}
                aria-label={`${emoji} ${count} ${count === 1 ? 'reaction' : 'reactions'}`}
                title={mine.has(emoji) ? 'Remove your reaction' : `React with ${emoji}`}
                disabled={busy.has(emoji)}
                onClick={() => toggle(emoji)}
              >
                <span className="reaction-emoji" aria-hidden="true">
                  {emoji}
                </span>
                <span className="reaction-count" aria-hidden="true">
                  {count}
                </span>
              </button>
            </li>
          ))}
          <li>
            <button
              type="button"
              className="reaction-chip reaction-add"
              aria-label="Add reaction"
              aria-expanded={picking}
              onClick={() => setAction(picking ? null : { kind: 'react', conversationId: conversation.id, messageId: message.id })}
            >
              <SmileIcon />
            </button>
          </li>
        </ul>
      )}
      {picking && <ReactionPicker mine={mine} onPick={(emoji) => toggle(emoji)} onClose={(refocus) => closeAction(message.id, refocus)} />}
      {dialogs}
    </div>
  );
};

/** A row of common emoji; arrows move, Enter picks, Escape closes. Picking your own again removes it. */
function ReactionPicker({ mine, onPick, onClose }: { mine: Set<string>; onPick(emoji: string): void; onClose(refocus: boolean): void }) {
  const ref = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  // Above the message when the history has room there, else below it: never over the message itself.
  useLayoutEffect(() => {
    const picker = ref.current;
    const holder = picker?.offsetParent as HTMLElement | null;
    const row = picker?.closest('.message')?.querySelector<HTMLElement>('.message-row');
    const scroller = picker?.closest<HTMLElement>('.message-scroller');
    if (!picker || !holder || !row || !scroller) return;
    const rowTop = row.getBoundingClientRect().top;
    if (rowTop - scroller.getBoundingClientRect().top >= picker.offsetHeight + 8) {
      picker.style.bottom = `${holder.getBoundingClientRect().bottom - rowTop + 4}px`;
    } else {
      picker.style.bottom = 'auto';
      picker.style.top = 'calc(100% + 4px)';
    }
  }, []);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('button')?.focus({ preventScroll: true });
    const outside = (event: PointerEvent) => {
      const target = event.target as Element | null;
      if (ref.current?.contains(target) || target?.closest?.('.reaction-add')) return;
      closeRef.current(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, []);
  const onKeyDown = (event: React.KeyboardEvent) => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLElement>('button') ?? [])];
    const index = buttons.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onClose(true);
    } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      buttons[(index + (event.key === 'ArrowRight' ? 1 : -1) + buttons.length) % buttons.length]?.focus();
    } else if (event.key === 'Tab') {
      onClose(false);
    }
  };
  return (
    <div ref={ref} className="reaction-picker" role="toolbar" aria-label="Choose a reaction" onKeyDown={onKeyDown}>
      {QUICK_REACTIONS.map((emoji) => (
        <button
          key={emoji}
          type="button"
          aria-label={`React with ${emoji}`}
          aria-pressed={mine.has(emoji)}
          onClick={() => {
            onPick(emoji);
            onClose(true);
          }}
        >
          {emoji}
        </button>
      ))}
    </div>
  );
}

function SmileIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="12" cy="12" r="9" />
      <path d="M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01" />
      <path d="M19 2v5M16.5 4.5h5" />
    </svg>
  );
}

// --- the message menu ----------------------------------------------------------------------

/** Extra items for a message's action menu: react, pin or unpin, forward, report. */
export const MessageMenuExtras: Slot<{ conversation: Conversation; message: Message; close(): void }> = ({ conversation: given, message, close }) => {
  const { client } = useApp();
  const notify = useNotify();
  const conversation = current(client, given);
  const open = (kind: MessageAction['kind']) => {
    close();
    setAction({ kind, conversationId: conversation.id, messageId: message.id });
  };
  const pinned = conversation.pinnedMessageIds.includes(message.id);
  const togglePin = () => {
    close();
    const request = pinned ? client.http.unpin(conversation.id, message.id) : client.http.pin(conversation.id, message.id);
    request.catch((error: unknown) => notify(`Could not ${pinned ? 'unpin' : 'pin'}: ${describeError(error)}`));
  };
  return (
    <>
      <button type="button" role="menuitem" onClick={() => open('react')}>
        React
      </button>
      {canPin(conversation) && (
        <button type="button" role="menuitem" onClick={togglePin}>
          {pinned ? 'Unpin' : 'Pin'}
        </button>
      )}
      {!conversation.settings.protectedContent && (
        <button type="button" role="menuitem" onClick={() => open('forward')}>
          Forward…
        </button>
      )}
      {message.senderId !== client.me?.id && (
        <button type="button" role="menuitem" onClick={() => open('report')}>
          Report…
        </button>
      )}
    </>
  );
};

/** Pick a conversation to forward into; the server's refusal (protected content, rights) is shown as it says it. */
function ForwardDialog({ conversation, message }: { conversation: Conversation; message: Message }) {
  const { client } = useApp();
  useStoreVersion(client, null);
  const notify = useNotify();
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState<string | null>(null);
  const filterId = useId();
  const close = useCallback(() => closeAction(message.id, true), [message.id]);
  const query = filter.trim().toLowerCase();
  const targets = client.store
    .list()
    .map((state) => state.summary)
    .filter((summary) => summary.id !== conversation.id && canSend(summary))
    .filter((summary) => query === '' || conversationTitle(summary).toLowerCase().includes(query) || (summary.peer?.handle ?? summary.handle ?? '').toLowerCase().includes(query.replace(/^@/u, '')));

  const forward = (target: Conversation) => {
    setSending(target.id);
    setError(null);
    client.http.forward(target.id, { clientMsgId: globalThis.crypto.randomUUID(), from: { conversationId: conversation.id, messageId: message.id } }).then(
      () => {
        notify(`Forwarded to ${conversationTitle(target)}`);
        close();
      },
      (failure: unknown) => {
        setSending(null);
        setError(describeError(failure));
      },
    );
  };

  return (
    <Dialog title="Forward message" open onClose={close}>
      <p className="forward-preview">{message.text === null ? 'Message deleted' : previewText(message.text, 160)}</p>
      <div className="stack">
        <label htmlFor={filterId}>Forward to</label>
        <input id={filterId} type="search" value={filter} placeholder="Search conversations" autoFocus onChange={(event) => setFilter(event.target.value)} />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {targets.length === 0 ? (
        <p className="dialog-text">{query ? 'No conversation matches.' : 'There is no other conversation you can send to.'}</p>
      ) : (
        <ul className="forward-targets" aria-label="Conversations">
          {targets.map((target) => {
            const title = conversationTitle(target);
            return (
              <li key={target.id}>
                <button type="button" className="forward-target" aria-label={`Forward to ${title}`} disabled={sending !== null} onClick={() => forward(target)}>
                  <Avatar id={target.kind === 'direct' && target.peer ? target.peer.id : target.id} name={title} size="sm" />
                  <span className="forward-target-title">{title}</span>
                  {sending === target.id && <span className="muted">Sending…</span>}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Dialog>
  );
}

/** Why the message is reported, and an optional note; moderators of the conversation see it. */
function ReportDialog({ conversation, message }: { conversation: Conversation; message: Message }) {
  const { client, users } = useApp();
  const notify = useNotify();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const commentId = useId();
  const legendId = useId();
  const radioName = useId();
  const close = useCallback(() => closeAction(message.id, true), [message.id]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason) {
      setError('Choose a reason.');
      return;
    }
    setSending(true);
    setError(null);
    const note = comment.trim();
    client.http.report({ targetType: 'message', targetId: message.id, conversationId: conversation.id, reason, ...(note ? { comment: note } : {}) }).then(
      () => {
        notify('Report sent. Thank you: moderators will review it.');
        close();
      },
      (failure: unknown) => {
        setSending(false);
        setError(describeError(failure));
      },
    );
  };

  return (
    <Dialog title="Report message" open onClose={close}>
      <form className="stack report-form" onSubmit={submit}>
        <p className="forward-preview">
          <strong>{users.name(message.senderId)}:</strong> {message.text === null ? 'Message deleted' : previewText(message.text, 160)}
        </p>
        <fieldset className="report-reasons" aria-labelledby={legendId}>
          <legend id={legendId}>Why are you reporting it?</legend>
          {REPORT_REASONS.map((option) => (
            <label key={option.value} className="report-reason">
              <input type="radio" name={radioName} value={option.value} checked={reason === option.value} onChange={() => setReason(option.value)} />
              {option.label}
            </label>
          ))}
        </fieldset>
        <label htmlFor={commentId}>Details (optional)</label>
        <textarea id={commentId} rows={3} maxLength={1000} value={comment} onChange={(event) => setComment(event.target.value)} />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={sending}>
            {sending ? 'Sending…' : 'Send report'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** "Forwarded from …" at the top of a forwarded message's bubble. */
export function ForwardAttribution({ message }: { message: Message }) {
  const { client, users } = useApp();
  useUsersVersion(users);
  const from = message.forwardedFrom;
  if (!from) return null;
  const name = from.senderId === client.me?.id ? 'you' : users.name(from.senderId);
  return (
    <span className="forwarded-from">
      <ForwardIcon />
      <span>
        Forwarded from <strong>{name}</strong>
        {from.conversationTitle ? ` in ${from.conversationTitle}` : ''}
      </span>
    </span>
  );
}

function ForwardIcon() {
  return (
    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M15 5l6 6-6 6" />
      <path d="M21 11H9a6 6 0 0 0-6 6v2" />
    </svg>
  );
}

// --- receipts ------------------------------------------------------------------------------

/** Sent / delivered / read on the viewer's own messages (not in channels: they keep no delivery pointers). */
export const ReadTicks: Slot<{ conversation: Conversation; message: Message }> = ({ conversation, message }) => {
  const { client } = useApp();
  const status = useMessageStatus(client, conversation.id, message);
  if (conversation.kind === 'channel') return null;
  const label = status === 'read' ? 'Read' : status === 'delivered' ? 'Delivered' : 'Sent';
  return (
    <span className={`ticks ticks-${status}`} role="img" aria-label={label} title={label} data-status={status}>
      <svg viewBox="0 0 20 12" width="17" height="11" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
        {status === 'sent' ? (
          <path d="M3 6.5l3 3 7-7" />
        ) : (
          <>
            <path d="M1 6.5l3 3 7-7" />
            <path d="M8.5 9.5l7-7" />
            <path d="M7 8l1.5 1.5" />
          </>
        )}
      </svg>
    </span>
  );
};

// --- typing --------------------------------------------------------------------------------

/** The client of the conversation whose composer is on screen (reportTyping has no context to read). */
const typingClients = new Map<string, ParleyClient>();

/** Who is typing, shown above the composer; gone when they stop, send, or the indicator expires. */
export const TypingIndicator: Slot<{ conversationId: string }> = ({ conversationId }) => {
  const { client, users } = useApp();
  useUsersVersion(users);
  const typing = useTyping(client, conversationId);
  useEffect(() => {
    typingClients.set(conversationId, client);
    return () => {
      if (typingClients.get(conversationId) === client) typingClients.delete(conversationId);
      // Leaving the conversation: the others stop seeing you type.
      client.stopTyping(conversationId);
    };
  }, [client, conversationId]);
  const names = typing.map((id) => users.name(id));
  const text =
    names.length === 0
      ? ''
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length === 2
          ? `${names[0]} and ${names[1]} are typing…`
          : `${names[0]} and ${names.length - 1} others are typing…`;
  return (
    <div className={`typing-indicator${text ? ' active' : ''}`} role="status" aria-live="polite">
      {text && (
        <>
          <span className="typing-dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span className="typing-text">{text}</span>
        </>
      )}
    </div>
  );
};

/** Tells the server the viewer is typing; called by the composer on input (the SDK throttles renewals). */
export function reportTyping(conversationId: string): void {
  typingClients.get(conversationId)?.notifyTyping(conversationId);
}

/** The message was sent or the box emptied: the others stop seeing the viewer type. */
export function reportStoppedTyping(conversationId: string): void {
  typingClients.get(conversationId)?.stopTyping(conversationId);
}

// --- presence ------------------------------------------------------------------------------

/** An online dot on an avatar (nothing while offline, hidden or unknown). */
export const PresenceDot: Slot<{ userId: string }> = ({ userId }) => {
  const { client } = useApp();
  const presence = usePresence(client, userId);
  if (presence?.status !== 'online') return null;
  return <span className="presence-dot" data-presence="online" title="Online" />;
};

/** "online" / "last seen …" under a direct conversation's title. */
export const LastSeen: Slot<{ userId: string }> = ({ userId }) => {
  const { client, users } = useApp();
  useUsersVersion(users);
  const presence = usePresence(client, userId);
  const now = useNow(30_000);
  if (!presence || presence.status === 'hidden') return null;
  const text = presenceText(presence, now);
  // The subtitle starts with the handle when there is one.
  const separator = users.get(userId)?.handle ? ' · ' : '';
  return (
    <span className="last-seen" data-presence={presence.status}>
      {separator}
      <span className={presence.status === 'online' ? 'last-seen-online' : undefined}>{text}</span>
    </span>
  );
};

export function presenceText(presence: Pick<Presence, 'status' | 'lastSeenAt'>, now: number = Date.now()): string {
  if (presence.status === 'online') return 'online';
  if (!presence.lastSeenAt) return 'offline';
  const at = new Date(presence.lastSeenAt);
  const minutes = Math.floor((now - at.getTime()) / 60_000);
  if (minutes < 1) return 'last seen just now';
  if (minutes < 60) return `last seen ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} ago`;
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  if (at.getTime() >= startOfToday) return `last seen today at ${timeLabel(presence.lastSeenAt)}`;
  if (at.getTime() >= startOfToday - 86_400_000) return `last seen yesterday at ${timeLabel(presence.lastSeenAt)}`;
  return `last seen ${at.toLocaleDateString(undefined, { day: 'numeric', month: 'short', ...(at.getFullYear() !== today.getFullYear() ? { year: 'numeric' } : {}) })}`;
}
