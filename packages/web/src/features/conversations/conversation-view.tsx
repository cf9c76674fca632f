import type { Message } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { ConfirmDialog } from '../../components/dialog.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion, useUsersVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { conversationTitle, previewText } from '../../lib/format.ts';
import { canSend, canSendMedia } from '../../lib/permissions.ts';
import { OngoingCallBar } from '../calls/ongoing-call-bar.tsx';
import { useClearUnreadMarkOnOpen } from '../inbox/use-clear-unread-mark.ts';
import { BlockedPeerNote } from '../moderation/blocked-peer-note.tsx';
import { useBlocks } from '../moderation/use-blocks.ts';
import { Composer } from '../messages/composer.tsx';
import { MessageActionProvider } from '../messages/message-action.tsx';
import { MessageList } from '../messages/message-list.tsx';
import { PinnedBar } from '../messages/pinned-bar.tsx';
import { SendBlockedNote } from '../messages/send-blocked-note.tsx';
import { TypingIndicator } from '../messages/typing-indicator.tsx';
import { ConversationDetails } from './conversation-details.tsx';
import { ConversationGone } from './conversation-gone.tsx';
import { ConversationHeader } from './conversation-header.tsx';
import type { Departure } from './use-departures.ts';

/** One conversation: header, history, composer, and its details panel. Keyed by id, so state resets per conversation. */
export function ConversationView({ conversationId, departure }: { conversationId: string; departure: Departure | null }) {
  const { client, users } = useApp();
  useStoreVersion(client, conversationId);
  useUsersVersion(users);
  const notify = useNotify();
  const state = client.store.get(conversationId);
  const blocks = useBlocks(state?.summary.kind === 'direct');
  const [detailsOpen, setDetailsOpen] = useState(false);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editing, setEditing] = useState<Message | null>(null);
  const [deleting, setDeleting] = useState<Message | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  // Where the "new messages" divider goes: the read pointer as it was when the conversation was opened.
  const [dividerAfterSeq] = useState<number | null>(() => (state && state.summary.unreadCount > 0 ? state.summary.readSeq : null));

  const exists = state !== undefined;
  const needsMessages = exists && state.messages === null;
  const needsMembers = exists && state.summary.kind !== 'direct' && state.members === null;
  useEffect(() => {
    if (!needsMessages) return;
    client.loadMessages(conversationId).then(
      () => setLoadError(null),
      (error: unknown) => setLoadError(describeError(error)),
    );
  }, [client, conversationId, needsMessages]);
  useClearUnreadMarkOnOpen(conversationId);
  // A group's ticks need the other members' pointers, which are pushed only as they move:
  // read them from the newest own message's receipts once history is here, and after every reconnect.
  const groupLoaded = exists && state.summary.kind === 'group' && state.messages !== null;
  useEffect(() => {
    if (!groupLoaded) return;
    const load = () => client.loadReceipts(conversationId).catch(() => {});
    void load();
    return client.on('status', (status) => {
      if (status === 'live') void load();
    });
  }, [client, conversationId, groupLoaded]);
  useEffect(() => {
    // Members give names and roles to the history; failures only cost names.
    if (needsMembers) client.loadMembers(conversationId).catch(() => {});
  }, [client, conversationId, needsMembers]);

  // Esc closes the details panel from anywhere in the conversation, unless something on top
  // (a dialog, a menu, a reply or edit in the composer) takes the key first.
  useEffect(() => {
    if (!detailsOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      if (document.querySelector('dialog[open], [role="menu"], [role="toolbar"].reaction-picker')) return;
      setDetailsOpen(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [detailsOpen]);

  const meId = client.me?.id ?? null;
  const onReply = useCallback((message: Message) => {
    setEditing(null);
    setReplyTo(message);
  }, []);
  const onEdit = useCallback((message: Message) => {
    setReplyTo(null);
    setEditing(message);
  }, []);
  const onDelete = useCallback((message: Message) => setDeleting(message), []);

  if (!state) {
    return <ConversationGone departure={departure} />;
  }
  const summary = state.summary;
  const title = conversationTitle(summary);
  const peer = summary.kind === 'direct' ? summary.peer : null;
  const editLast = () => {
    const last = [...(state.messages ?? [])].reverse().find((message) => message.senderId === meId && message.deletedAt === null);
    if (last) onEdit(last);
  };
  const sendable = canSend(summary);

  return (
    // Which message shows its reaction picker or a dialog: one at a time, for this conversation only.
    <MessageActionProvider>
      <section className={`conversation${detailsOpen ? ' with-details' : ''}`} aria-label={`Conversation: ${title}`}>
        <div className="conversation-main">
          <ConversationHeader conversation={summary} detailsOpen={detailsOpen} onToggleDetails={() => setDetailsOpen((open) => !open)} />
          <PinnedBar conversation={summary} />
          {summary.kind === 'group' && <OngoingCallBar notices={state.notices} />}
          {loadError && state.messages === null ? (
            <div className="list-error" role="alert">
              <p>Could not load messages: {loadError}</p>
              <button
                type="button"
                className="button"
                onClick={() => {
                  setLoadError(null);
                  client.loadMessages(conversationId).catch((error: unknown) => setLoadError(describeError(error)));
                }}
              >
                Try again
              </button>
            </div>
          ) : (
            <MessageList conversationId={conversationId} dividerAfterSeq={dividerAfterSeq} onReply={onReply} onEdit={onEdit} onDelete={onDelete} />
          )}
          <TypingIndicator conversationId={conversationId} />
          {peer && blocks.blocked?.has(peer.id) ? (
            <BlockedPeerNote peer={peer} onUnblocked={blocks.refresh} />
          ) : sendable ? (
            <Composer
              conversationId={conversationId}
              replyTo={replyTo}
              editing={editing}
              onCancel={() => {
                setReplyTo(null);
                setEditing(null);
              }}
              onEditLast={editLast}
              mediaAllowed={canSendMedia(summary)}
              placeholder={`Message ${previewText(peer ? peer.displayName : title, 24)}`}
            />
          ) : (
            <SendBlockedNote conversation={summary} />
          )}
        </div>
        {detailsOpen && <ConversationDetails conversationId={conversationId} onClose={() => setDetailsOpen(false)} />}
        <ConfirmDialog
          open={deleting !== null}
          title="Delete message?"
          message={deleting && deleting.senderId !== meId ? 'The message will be deleted for everyone in this conversation.' : 'The message will be deleted for everyone.'}
          confirmLabel="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            const message = deleting;
            if (!message) return;
            if (editing?.id === message.id) setEditing(null);
            if (replyTo?.id === message.id) setReplyTo(null);
            client.deleteMessage(conversationId, message.id).catch((error: unknown) => notify(`Could not delete: ${describeError(error)}`));
          }}
        />
      </section>
    </MessageActionProvider>
  );
}
