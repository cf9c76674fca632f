import type { Conversation, Message } from '@parley/protocol';
import { useState } from 'react';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { currentSummary } from './current-summary.ts';
import { ForwardDialog } from './forward-dialog.tsx';
import { useCloseMessageAction, useMessageAction, useSetMessageAction } from './message-action.tsx';
import { ReactionPicker } from './reaction-picker.tsx';
import { ReportMessageDialog } from './report-message-dialog.tsx';
import { MessageInfoDialog } from '../receipts/message-info-dialog.tsx';
import { EmojiPickerDialog } from '../emoji/emoji-picker-dialog.tsx';
import './messages.css';

/** Reaction chips under a message (toggle yours), the picker, and the message's forward/report dialogs. */
export function MessageReactions({ conversation, message: given }: { conversation: Conversation; message: Message }) {
  const { client } = useApp();
  useStoreVersion(client, conversation.id);
  const notify = useNotify();
  const action = useMessageAction(conversation.id, given.id);
  const setAction = useSetMessageAction();
  const closeAction = useCloseMessageAction();
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
      {action === 'forward' && <ForwardDialog conversation={currentSummary(client, conversation)} message={message} />}
      {action === 'report' && <ReportMessageDialog conversation={currentSummary(client, conversation)} message={message} />}
      {action === 'info' && <MessageInfoDialog conversation={currentSummary(client, conversation)} message={message} />}
      {action === 'emoji' && <EmojiPickerDialog title="React with any emoji" open onPick={(emoji) => !mine.has(emoji) && toggle(emoji)} onClose={() => closeAction(message.id, true)} />}
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
      {picking && <ReactionPicker mine={mine} onPick={(emoji) => toggle(emoji)} onClose={(refocus) => closeAction(message.id, refocus)} onMore={() => setAction({ kind: 'emoji', conversationId: conversation.id, messageId: message.id })} />}
      {dialogs}
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
