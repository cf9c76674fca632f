import type { Conversation, Message } from '@parley/protocol';
import type { PendingMessage } from '@parley/sdk';
import { memo, useEffect, useId, useRef, useState } from 'react';
import { ForwardAttribution, MessageMenuExtras, MessageReactions, ReadTicks } from '../features/message-features.tsx';
import { previewText, timeLabel } from '../lib/format.ts';
import { MoreIcon } from './icons.tsx';
import { RichText } from './rich-text.tsx';
import { useNotify } from './toasts.tsx';

export interface MessageItemProps {
  conversation: Conversation;
  message: Message;
  mine: boolean;
  startsRun: boolean;
  /** Shown above the first message of a run in groups. */
  senderName: string | null;
  replied: Message | null;
  repliedName: string | null;
  canEdit: boolean;
  canDelete: boolean;
  onReply(message: Message): void;
  onEdit(message: Message): void;
  onDelete(message: Message): void;
  onShowReplied(message: Message): void;
}

/** One message. Memoized: the store replaces a message object whenever it changes. */
export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { message, mine, startsRun, senderName, replied, repliedName } = props;
  const deleted = message.deletedAt !== null || message.text === null;
  return (
    <li
      className={`message${mine ? ' mine' : ''}${startsRun ? ' run-start' : ''}${deleted ? ' deleted' : ''}`}
      data-message-id={message.id}
      data-seq={message.seq}
      tabIndex={-1}
    >
      {senderName && <div className="message-sender">{senderName}</div>}
      <div className="message-row">
        <div className="bubble">
          {message.forwardedFrom && !deleted && <ForwardAttribution message={message} />}
          {message.replyTo && !deleted && (
            <button
              type="button"
              className="reply-quote"
              disabled={!replied}
              aria-label={replied ? `Reply to ${repliedName}: ${replied.text === null ? 'deleted message' : previewText(replied.text, 80)}. Show it.` : 'Reply to an earlier message'}
              onClick={() => replied && props.onShowReplied(replied)}
            >
              <span className="reply-quote-name">{replied ? repliedName : 'Earlier message'}</span>
              <span className="reply-quote-text">{replied ? (replied.text === null ? 'Message deleted' : previewText(replied.text, 80)) : 'Not loaded'}</span>
            </button>
          )}
          {deleted ? <p className="message-text message-deleted">Message deleted</p> : <p className="message-text"><RichText text={message.text!} /></p>}
          <span className="message-meta">
            {message.editedAt && !deleted && <span className="edited">edited</span>}
            <time dateTime={message.createdAt}>{timeLabel(message.createdAt)}</time>
            {mine && <ReadTicks conversation={props.conversation} message={message} />}
          </span>
        </div>
        {!deleted && <MessageMenu {...props} />}
      </div>
      {!deleted && <MessageReactions conversation={props.conversation} message={message} />}
    </li>
  );
});

/** One button per message (a single tab stop), opening a small menu of what the viewer may do. */
function MessageMenu(props: MessageItemProps) {
  const { message } = props;
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const notify = useNotify();

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const outside = (event: PointerEvent) => {
      if (!menu.current?.contains(event.target as Node) && !button.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);

  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const act = (action: () => void) => () => {
    close(false);
    action();
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = (index + (event.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[next]?.focus();
    } else if (event.key === 'Tab') {
      close(false);
    }
  };

  return (
    <div className="message-actions">
      <button
        ref={button}
        type="button"
        className="icon-button message-menu-button"
        aria-label="Message actions"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((value) => !value)}
      >
        <MoreIcon />
      </button>
      {open && (
        <div ref={menu} id={menuId} className="menu" role="menu" aria-label="Message actions" onKeyDown={onKeyDown}>
          <button type="button" role="menuitem" onClick={act(() => props.onReply(message))}>
            Reply
          </button>
          {props.canEdit && (
            <button type="button" role="menuitem" onClick={act(() => props.onEdit(message))}>
              Edit
            </button>
          )}
          <button
            type="button"
            role="menuitem"
            onClick={act(() => {
              navigator.clipboard?.writeText(message.text ?? '').then(
                () => notify('Copied'),
                () => notify('Could not copy'),
              );
            })}
          >
            Copy text
          </button>
          <MessageMenuExtras conversation={props.conversation} message={message} close={() => close(false)} />
          {props.canDelete && (
            <button type="button" role="menuitem" className="danger" onClick={act(() => props.onDelete(message))}>
              Delete
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** A send the server has not acknowledged yet: "sending", or failed with retry and discard. */
export function PendingItem({ pending, replied, onRetry, onDiscard }: { pending: PendingMessage; replied: Message | null; onRetry(pending: PendingMessage): void; onDiscard(pending: PendingMessage): void }) {
  const failed = pending.error !== null;
  return (
    <li className={`message mine pending${failed ? ' failed' : ''}`} data-client-msg-id={pending.clientMsgId}>
      <div className="message-row">
        <div className="bubble">
          {pending.replyTo && (
            <span className="reply-quote">
              <span className="reply-quote-text">{replied?.text ? previewText(replied.text, 80) : 'Earlier message'}</span>
            </span>
          )}
          <p className="message-text">
            <RichText text={pending.text} />
          </p>
          <span className="message-meta">{failed ? <span className="send-failed">Not sent</span> : <span className="sending">Sending…</span>}</span>
        </div>
      </div>
      {failed && (
        <div className="pending-actions" role="group" aria-label="Message not sent">
          <span className="pending-error">{pending.error}</span>
          <button type="button" className="link-button" onClick={() => onRetry(pending)}>
            Retry
          </button>
          <button type="button" className="link-button" onClick={() => onDiscard(pending)}>
            Discard
          </button>
        </div>
      )}
    </li>
  );
}
