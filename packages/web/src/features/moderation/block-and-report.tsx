import type { Conversation } from '@parley/protocol';
import { type FormEvent, useId, useState } from 'react';
import { InlineConfirm } from '../../components/inline-confirm.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { describeError } from '../../lib/errors.ts';
import { useBlocks } from './use-blocks.ts';
import '../../components/forms.css';
import './moderation.css';

const REPORT_REASONS = ['spam', 'abuse', 'harassment', 'violence', 'illegal', 'other'] as const;

/** Block and report a person: in a direct conversation's details, and in a member's dialog. */
export function BlockAndReport({ conversation, userId }: { conversation: Conversation; userId: string }) {
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
        <InlineConfirm
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
}
