import type { Conversation, Message } from '@parley/protocol';
import { useEffect, useState } from 'react';
import { CloseIcon } from '../../components/dialog.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion, useUsersVersion } from '../../hooks/use-store.ts';
import { describeError } from '../../lib/errors.ts';
import { canPin } from '../../lib/permissions.ts';
import { flash, messageElement, waitForElement } from './message-element.ts';
import './messages.css';
import { previewWithFiles } from '../media/files-label.ts';

/** The pinned-message bar under the conversation header: the newest pin first, each click shows one and moves to the next. */
export function PinnedBar({ conversation }: { conversation: Conversation }) {
  const { client, users } = useApp();
  useStoreVersion(client, conversation.id);
  useUsersVersion(users);
  const notify = useNotify();
  const state = client.store.get(conversation.id);
  const summary = state?.summary ?? conversation;
  const ids = summary.pinnedMessageIds;
  const idsKey = ids.join(',');
  const [index, setIndex] = useState(0);
  const [fetched, setFetched] = useState<Map<string, Message>>(() => new Map());
  const [busy, setBusy] = useState(false);

  useEffect(() => setIndex(0), [idsKey]);

  // Pinned messages that are not loaded come from the pins route (once per change of the pins).
  const loaded = new Map((state?.messages ?? []).map((message) => [message.id, message]));
  const missing = ids.some((id) => !loaded.has(id) && !fetched.has(id));
  useEffect(() => {
    if (!missing) return;
    let cancelled = false;
    client.http.pins(conversation.id).then(
      ({ messages }) => {
        if (!cancelled) setFetched(new Map(messages.map((message) => [message.id, message])));
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [client, conversation.id, idsKey, missing]);

  if (ids.length === 0) return null;
  const shownIndex = Math.min(index, ids.length - 1);
  const messageId = ids[shownIndex]!;
  const message = loaded.get(messageId) ?? fetched.get(messageId) ?? null;
  const text = message === null ? 'Loading…' : message.deletedAt !== null || message.text === null ? 'Message deleted' : previewWithFiles(message.text, message.attachments, 140);
  const who = message ? (message.senderId === client.me?.id ? 'You' : users.name(message.senderId)) : null;
  const label = ids.length > 1 ? `Pinned message ${shownIndex + 1} of ${ids.length}` : 'Pinned message';

  const jump = async () => {
    if (ids.length > 1) setIndex((shownIndex + 1) % ids.length);
    let target = messageElement(messageId);
    // Older than what is loaded: page back to it (bounded), then show it.
    for (let pages = 0; !target && message && pages < 20; pages++) {
      const now = client.store.get(conversation.id);
      const first = now?.messages?.[0];
      if (!now || !now.hasOlder || (first && first.seq <= message.seq)) break;
      try {
        await client.loadOlder(conversation.id);
      } catch (error) {
        notify(`Could not load the pinned message: ${describeError(error)}`);
        return;
      }
      target = await waitForElement(messageId);
    }
    target ??= await waitForElement(messageId);
    if (target) flash(target);
    else notify('That message is not available any more.');
  };

  const unpin = () => {
    setBusy(true);
    client.http
      .unpin(conversation.id, messageId)
      .catch((error: unknown) => notify(`Could not unpin: ${describeError(error)}`))
      .finally(() => setBusy(false));
  };

  return (
    <section className="pinned-bar" aria-label="Pinned messages">
      <span className="pinned-mark" aria-hidden="true">
        {ids.length > 1 ? ids.map((id, i) => <span key={id} className={i === shownIndex ? 'active' : ''} />) : <span className="active" />}
      </span>
      <button type="button" className="pinned-main" onClick={() => void jump()} aria-label={`${label}${who ? ` from ${who}` : ''}: ${text}. Show it.`}>
        <span className="pinned-label">{label}</span>
        <span className="pinned-text">{text}</span>
      </button>
      {canPin(summary) && (
        <button type="button" className="icon-button pinned-unpin" aria-label="Unpin message" title="Unpin" disabled={busy} onClick={unpin}>
          <CloseIcon />
        </button>
      )}
    </section>
  );
}
