import type { Conversation, Message } from '@parley/protocol';
import { memo } from 'react';
import { useApp } from '../../hooks/context.ts';
import '../mentions/mentions.css';
import { RichText } from '../../components/rich-text.tsx';
import { timeLabel } from '../../lib/format.ts';
import { MessageAttachments } from '../media/message-attachments.tsx';
import { ForwardedFrom } from './forwarded-from.tsx';
import { MessageMenu } from './message-menu.tsx';
import { MessageReactions } from './message-reactions.tsx';
import { ReadTicks } from './read-ticks.tsx';
import { previewWithFiles } from '../media/files-label.ts';

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
  const meId = useApp().client.me?.id;
  const mentionsMe = !deleted && !mine && meId !== undefined && message.mentions.includes(meId);
  return (
    <li
      className={`message${mine ? ' mine' : ''}${startsRun ? ' run-start' : ''}${deleted ? ' deleted' : ''}${mentionsMe ? ' mentions-me' : ''}`}
      data-message-id={message.id}
      data-seq={message.seq}
      tabIndex={-1}
      onContextMenu={(event) => {
        // Right-click, or a long press on a touch screen: the message's own menu (not over a link, nor a selection).
        if (deleted || (event.target as HTMLElement).closest('a') || window.getSelection()?.toString()) return;
        const button = event.currentTarget.querySelector<HTMLButtonElement>('.message-menu-button');
        if (!button) return;
        event.preventDefault();
        if (button.getAttribute('aria-expanded') !== 'true') button.click();
      }}
    >
      {senderName && <div className="message-sender">{senderName}</div>}
      {mentionsMe && <span className="mention-hint">Mentions you.</span>}
      <div className="message-row">
        <div className="bubble">
          {message.forwardedFrom && !deleted && <ForwardedFrom message={message} />}
          {message.replyTo && !deleted && (
            <button
              type="button"
              className="reply-quote"
              disabled={!replied}
              aria-label={replied ? `Reply to ${repliedName}: ${replied.text === null ? 'deleted message' : previewWithFiles(replied.text, replied.attachments, 80)}. Show it.` : 'Reply to an earlier message'}
              onClick={() => replied && props.onShowReplied(replied)}
            >
              <span className="reply-quote-name">{replied ? repliedName : 'Earlier message'}</span>
              <span className="reply-quote-text">{replied ? (replied.text === null ? 'Message deleted' : previewWithFiles(replied.text, replied.attachments, 80)) : 'Not loaded'}</span>
            </button>
          )}
          {!deleted && <MessageAttachments attachments={message.attachments} />}
          {deleted ? (
            <p className="message-text message-deleted">Message deleted</p>
          ) : (
            // A file sent without a caption has no text to show.
            (message.text !== '' || message.attachments.length === 0) && (
              <div className="message-text">
                <RichText text={message.text!} />
              </div>
            )
          )}
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
