import type { Conversation, Message } from '@parley/protocol';
import { useCallback, useId, useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { Dialog } from '../../components/dialog.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { conversationTitle } from '../../lib/format.ts';
import { canSend } from '../../lib/permissions.ts';
import { useCloseMessageAction } from './message-action.tsx';
import './messages.css';
import { previewWithFiles } from '../media/files-label.ts';

/** Pick a conversation to forward into; the server's refusal (protected content, rights) is shown as it says it. */
export function ForwardDialog({ conversation, message }: { conversation: Conversation; message: Message }) {
  const { client } = useApp();
  useStoreVersion(client, null);
  const notify = useNotify();
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState<string | null>(null);
  const filterId = useId();
  const closeAction = useCloseMessageAction();
  const close = useCallback(() => closeAction(message.id, true), [closeAction, message.id]);
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
      <p className="forward-preview">{message.text === null ? 'Message deleted' : previewWithFiles(message.text, message.attachments, 160)}</p>
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
                  <Avatar id={target.kind === 'direct' && target.peer ? target.peer.id : target.id} name={title} size="sm" picture={target.kind === 'direct' ? target.peer?.avatarId : target.photoId} />
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
