import type { Message } from '@parley/protocol';
import { messagePreview } from '../../lib/markdown.ts';
import type { PendingMessage } from '@parley/sdk';
import { RichText } from '../../components/rich-text.tsx';

/** A send the server has not acknowledged yet: "sending", or failed with retry and discard. */
export function PendingMessageItem({ pending, replied, onRetry, onDiscard }: { pending: PendingMessage; replied: Message | null; onRetry(pending: PendingMessage): void; onDiscard(pending: PendingMessage): void }) {
  const failed = pending.error !== null;
  return (
    <li className={`message mine pending${failed ? ' failed' : ''}`} data-client-msg-id={pending.clientMsgId}>
      <div className="message-row">
        <div className="bubble">
          {pending.replyTo && (
            <span className="reply-quote">
              <span className="reply-quote-text">{replied?.text ? messagePreview(replied.text, 80) : 'Earlier message'}</span>
            </span>
          )}
          {pending.attachments?.length ? (
            <p className="pending-files">
              {pending.attachments.length === 1 ? '1 file' : `${pending.attachments.length} files`}
            </p>
          ) : null}
          {(pending.text !== '' || !pending.attachments?.length) && (
            <div className="message-text">
              <RichText text={pending.text} />
            </div>
          )}
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
