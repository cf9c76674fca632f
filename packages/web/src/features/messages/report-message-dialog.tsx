import type { Conversation, Message } from '@parley/protocol';
import { messagePreview } from '../../lib/markdown.ts';
import { type FormEvent, useCallback, useId, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { useCloseMessageAction } from './message-action.tsx';
import './messages.css';

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

/** Why the message is reported, and an optional note; moderators of the conversation see it. */
export function ReportMessageDialog({ conversation, message }: { conversation: Conversation; message: Message }) {
  const { client, users } = useApp();
  const notify = useNotify();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const commentId = useId();
  const legendId = useId();
  const radioName = useId();
  const closeAction = useCloseMessageAction();
  const close = useCallback(() => closeAction(message.id, true), [closeAction, message.id]);

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
          <strong>{users.name(message.senderId)}:</strong> {message.text === null ? 'Message deleted' : messagePreview(message.text, 160)}
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
