import type { Conversation, Message, MessageReceipts } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { messagePreview } from '../../lib/markdown.ts';
import { useCloseMessageAction } from '../messages/message-action.tsx';
import './receipts.css';

/**
 * A message's details: who sent it and when, whether it was edited, and — for your own
 * messages — who read it and who has it delivered ("Read by"). The server gives names in
 * direct conversations and small groups (up to RECEIPTS_MAX_GROUP members) and counts
 * elsewhere; this shows whichever it gets.
 */
export function MessageInfoDialog({ conversation, message }: { conversation: Conversation; message: Message }) {
  const { client, users } = useApp();
  const closeAction = useCloseMessageAction();
  const close = useCallback(() => closeAction(message.id, true), [closeAction, message.id]);
  const mine = message.senderId === client.me?.id;
  const [receipts, setReceipts] = useState<MessageReceipts | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!mine) return;
    let current = true;
    client.messageReceipts(conversation.id, message.id).then(
      (answer) => current && setReceipts(answer),
      (failure: unknown) => current && setError(describeError(failure)),
    );
    return () => {
      current = false;
    };
  }, [client, conversation.id, message.id, mine]);

  const names = (ids: readonly string[]) => ids.map((id) => users.name(id)).sort((a, b) => a.localeCompare(b));
  return (
    <Dialog title="Message info" open onClose={close}>
      <div className="stack message-info">
        <p className="forward-preview">{message.text === null ? 'Message deleted' : messagePreview(message.text, 160)}</p>
        <dl className="message-info-facts">
          <dt>From</dt>
          <dd>{mine ? 'You' : users.name(message.senderId)}</dd>
          <dt>Sent</dt>
          <dd>{formatDateTime(message.createdAt)}</dd>
          {message.editedAt && (
            <>
              <dt>Edited</dt>
              <dd>{formatDateTime(message.editedAt)}</dd>
            </>
          )}
        </dl>
        {mine && error && (
          <p className="form-error" role="alert">
            Could not load who read it: {error}
          </p>
        )}
        {mine && !error && receipts === null && <p className="list-status" role="status">Loading who read it…</p>}
        {receipts && (
          <>
            <section aria-label="Read by">
              <h3>
                Read by {receipts.readCount} of {receipts.recipients}
              </h3>
              {receipts.readBy && (receipts.readBy.length > 0 ? <ul className="receipt-names">{names(receipts.readBy).map((name, index) => <li key={index}>{name}</li>)}</ul> : <p className="muted">Nobody yet.</p>)}
            </section>
            <section aria-label="Delivered to">
              <h3>Delivered to {receipts.deliveredCount - receipts.readCount} more</h3>
              {receipts.deliveredTo && receipts.deliveredTo.length > 0 && <ul className="receipt-names">{names(receipts.deliveredTo).map((name, index) => <li key={index}>{name}</li>)}</ul>}
            </section>
            {receipts.readBy === null && <p className="muted">In a conversation this large only counts are shown.</p>}
          </>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Close
          </button>
        </div>
      </div>
    </Dialog>
  );
}
