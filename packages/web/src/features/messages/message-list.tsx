import type { Message } from '@parley/protocol';
import type { PendingMessage } from '@parley/sdk';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ArrowDownIcon } from '../../components/icons.tsx';
import { useApp } from '../../hooks/context.ts';
import { usePageVisible } from '../../hooks/use-browser.ts';
import { useStoreVersion, useUsersVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { canDelete, canEdit } from '../../lib/permissions.ts';
import { noticeText } from '../../lib/notices.ts';
import { buildTimeline } from '../../lib/timeline.ts';
import { MessageItem } from './message-item.tsx';
import { PendingMessageItem } from './pending-message.tsx';
import { FirstUnreadButton } from '../unread/first-unread-button.tsx';

/** Closer than this to the end counts as "at the bottom": new messages keep it there, and it is read. */
const BOTTOM_SLACK_PX = 48;
/** Closer than this to the top loads the previous page. */
const OLDER_THRESHOLD_PX = 400;
/** Opening with more unread than the first page holds loads back to the read pointer, up to this many messages. */
const BACKFILL_MAX = 500;

export interface MessageListProps {
  conversationId: string;
  dividerAfterSeq: number | null;
  onReply(message: Message): void;
  onEdit(message: Message): void;
  onDelete(message: Message): void;
}

/**
 * The history. Scrolling is managed by hand (overflow-anchor is off), after every
 * render and before paint:
 * - first load: to the "new messages" divider if there is one, else to the end;
 * - a page of older messages prepended: the message that was first stays exactly where it was;
 * - something appended: follows it only when the reader was at the end (or it is their own send),
 *   otherwise nothing moves and a "new messages" button counts what arrived below.
 */
export function MessageList({ conversationId, dividerAfterSeq, onReply, onEdit, onDelete }: MessageListProps) {
  const { client, users } = useApp();
  useStoreVersion(client, conversationId);
  useUsersVersion(users);
  const visible = usePageVisible();
  const state = client.store.get(conversationId)!;
  const summary = state.summary;
  const meId = client.me?.id ?? null;
  const messages = state.messages;
  const rows = buildTimeline({ messages: messages ?? [], pending: state.pending, meId, dividerAfterSeq, notices: state.notices });

  const container = useRef<HTMLDivElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  const atBottomRef = useRef(true);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const loadingOlderRef = useRef(false);
  const [unseen, setUnseen] = useState(0);
  // Where the divider goes is only known once the unread messages are loaded: until then, load.
  const [unreadAtOpen] = useState(summary.unreadCount);
  const [placed, setPlaced] = useState(false);
  const loadedUnread = dividerAfterSeq === null || messages === null ? 0 : messages.filter((message) => message.seq > dividerAfterSeq && message.senderId !== meId && message.deletedAt === null).length;
  const backfilling = !placed && dividerAfterSeq !== null && messages !== null && state.hasOlder && messages.length > 0 && messages.length < BACKFILL_MAX && loadedUnread < unreadAtOpen && !olderError;
  const layout = useRef<{ initialized: boolean; firstId: string | null; firstOffset: number; lastKey: string | null }>({ initialized: false, firstId: null, firstOffset: 0, lastKey: null });

  const firstMessageElement = (el: HTMLElement) => el.querySelector<HTMLElement>('[data-message-id]');
  const remember = useCallback(() => {
    const el = container.current;
    if (!el) return;
    const first = firstMessageElement(el);
    layout.current.firstId = first?.dataset.messageId ?? null;
    layout.current.firstOffset = first ? first.offsetTop - el.scrollTop : 0;
  }, []);
  const updateBottom = useCallback(() => {
    const el = container.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    atBottomRef.current = bottom;
    setAtBottom(bottom);
    if (bottom) setUnseen(0);
  }, []);

  const hasOlder = state.hasOlder && messages !== null && messages.length > 0;
  const loadOlder = useCallback(() => {
    if (loadingOlderRef.current) return;
    loadingOlderRef.current = true;
    setLoadingOlder(true);
    setOlderError(null);
    client
      .loadOlder(conversationId)
      .catch((error: unknown) => setOlderError(describeError(error)))
      .finally(() => {
        loadingOlderRef.current = false;
        setLoadingOlder(false);
      });
  }, [client, conversationId]);

  // Runs again when a page has finished loading, not only when one arrived: the page lands in
  // the store before the load counts as done, so a check made on arrival finds it still
  // running and the next page was never asked for (a conversation with more unread than two
  // pages stayed on "Loading messages…").
  useEffect(() => {
    if (backfilling && !loadingOlder) loadOlder();
  }, [backfilling, loadingOlder, loadOlder, messages?.length]);

  useLayoutEffect(() => {
    const el = container.current;
    if (!el || messages === null || backfilling) return;
    const info = layout.current;
    const lastRow = rows.at(-1);
    const lastKey = lastRow?.key ?? null;
    if (!info.initialized) {
      info.initialized = true;
      const divider = el.querySelector<HTMLElement>('[data-row="unread"]');
      el.scrollTop = divider ? Math.max(0, divider.offsetTop - 12) : el.scrollHeight;
      setPlaced(true);
    } else {
      const first = firstMessageElement(el);
      const firstId = first?.dataset.messageId ?? null;
      const prepended = info.firstId !== null && firstId !== info.firstId;
      // Older messages, or lines of events (which arrive after their page), landed above: the
      // message that was first stays where it was, unless the reader is following the end.
      const keep = prepended || (lastKey === info.lastKey && !atBottomRef.current);
      const anchor = keep && info.firstId !== null ? el.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(info.firstId)}"]`) : null;
      if (anchor) {
        el.scrollTop = anchor.offsetTop - info.firstOffset;
      } else if (lastKey !== info.lastKey) {
        const ownSend = lastRow?.kind === 'pending' || (lastRow?.kind === 'message' && lastRow.mine);
        if (atBottomRef.current || ownSend) el.scrollTop = el.scrollHeight;
        else if (lastRow?.kind === 'message') setUnseen((count) => count + 1);
      } else if (atBottomRef.current) {
        el.scrollTop = el.scrollHeight;
      }
    }
    info.lastKey = lastKey;
    remember();
    updateBottom();
    // Short history: fill the screen from older pages.
    if (hasOlder && el.scrollTop < OLDER_THRESHOLD_PX && !loadingOlderRef.current && !olderError) loadOlder();
  });

  // The composer growing, or the window resizing, must not lose the end of the conversation.
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (atBottomRef.current) el.scrollTop = el.scrollHeight;
      remember();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [remember, messages === null]);

  // Read when open, shown and scrolled to the end.
  const unread = summary.unreadCount;
  useEffect(() => {
    if (!visible || !atBottom || unread === 0 || messages === null) return;
    const timer = setTimeout(() => client.markRead(conversationId).catch(() => {}), 300);
    return () => clearTimeout(timer);
  }, [client, conversationId, visible, atBottom, unread, summary.lastSeq, messages === null]);

  const onScroll = () => {
    remember();
    updateBottom();
    const el = container.current;
    if (el && hasOlder && el.scrollTop < OLDER_THRESHOLD_PX && !olderError) loadOlder();
  };

  const byId = new Map((messages ?? []).map((message) => [message.id, message]));
  const isGroup = summary.kind !== 'direct';
  const retry = useCallback(
    (pending: PendingMessage) => {
      client.sendMessage(conversationId, pending.text, { clientMsgId: pending.clientMsgId, ...(pending.replyTo ? { replyTo: pending.replyTo } : {}) }).catch(() => {});
    },
    [client, conversationId],
  );
  const discard = useCallback(
    (pending: PendingMessage) => client.store.discardPending(conversationId, pending.clientMsgId),
    [client, conversationId],
  );
  const showMessage = useCallback((message: Message) => {
    const el = container.current;
    if (!el) return;
    const target = el.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(message.id)}"]`);
    if (target) {
      target.scrollIntoView({ block: 'center' });
      target.classList.add('flash');
      setTimeout(() => target.classList.remove('flash'), 1200);
      target.focus({ preventScroll: true });
    }
  }, []);

  return (
    <div className="message-scroller-wrap">
      <div ref={container} className="message-scroller" onScroll={onScroll} role="log" aria-label="Messages" tabIndex={0}>
        {messages === null || backfilling ? (
          <p className="list-status" role="status">
            Loading messages…
          </p>
        ) : (
          <>
            <div className="history-top">
              {loadingOlder && <p className="list-status">Loading earlier messages…</p>}
              {olderError && (
                <p className="list-status">
                  Could not load earlier messages.{' '}
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      setOlderError(null);
                      loadOlder();
                    }}
                  >
                    Try again
                  </button>
                </p>
              )}
              {!state.hasOlder && messages.length > 0 && <p className="list-status history-start">This is the beginning of the conversation.</p>}
            </div>
            {rows.length === 0 && (
              <div className="empty-history">
                <p className="empty-title">No messages yet</p>
                <p>Messages you send appear here.</p>
              </div>
            )}
            <ol className="messages">
              {rows.map((row) => {
                switch (row.kind) {
                  case 'day':
                    return (
                      <li key={row.key} className="day-separator" data-row="day">
                        <span>{row.label}</span>
                      </li>
                    );
                  case 'unread':
                    return (
                      <li key={row.key} className="unread-divider" data-row="unread">
                        <span>New messages</span>
                      </li>
                    );
                  case 'notice': {
                    const text = noticeText(row.event, summary, (id) => (id === null ? 'Someone' : id === meId ? 'You' : users.name(id)), (id) => byId.get(id));
                    return text === null ? null : (
                      <li key={row.key} className="system-line" data-row="notice" data-seq={row.event.seq}>
                        <span>{text}</span>
                      </li>
                    );
                  }
                  case 'pending':
                    return <PendingMessageItem key={row.key} pending={row.pending} replied={row.pending.replyTo ? byId.get(row.pending.replyTo) ?? null : null} onRetry={retry} onDiscard={discard} />;
                  case 'message': {
                    const message = row.message;
                    const replied = message.replyTo ? byId.get(message.replyTo) ?? null : null;
                    return (
                      <MessageItem
                        key={row.key}
                        conversation={summary}
                        message={message}
                        mine={row.mine}
                        startsRun={row.startsRun}
                        senderName={isGroup && !row.mine && row.startsRun ? users.name(message.senderId) : null}
                        replied={replied}
                        repliedName={replied ? (replied.senderId === meId ? 'You' : users.name(replied.senderId)) : null}
                        canEdit={canEdit(meId, message)}
                        canDelete={canDelete(summary, meId, message)}
                        onReply={onReply}
                        onEdit={onEdit}
                        onDelete={onDelete}
                        onShowReplied={showMessage}
                      />
                    );
                  }
                }
              })}
            </ol>
          </>
        )}
      </div>
      {messages !== null && !backfilling && <FirstUnreadButton scroller={container} />}
      {!atBottom && messages !== null && (
        <JumpButton count={Math.max(unseen, unread)} onJump={() => {
          const el = container.current;
          if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
        }} />
      )}
    </div>
  );
}

/** Back to the end: counts what arrived below while scrolled up, or what is still unread (opened at the divider). */
function JumpButton({ count, onJump }: { count: number; onJump(): void }) {
  return (
    <button type="button" className="jump-button" aria-label={count > 0 ? `${count} new ${count === 1 ? 'message' : 'messages'}, jump to the latest` : 'Jump to the latest message'} onClick={onJump}>
      <ArrowDownIcon />
      {count > 0 && <span className="jump-count">{count > 99 ? '99+' : count}</span>}
    </button>
  );
}
