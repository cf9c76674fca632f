import { type ConversationState, type ListFilter, prefsOf } from '@parley/sdk';
import { useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { ChannelIcon, GroupIcon, PinIcon } from '../../components/icons.tsx';
import { useApp } from '../../hooks/context.ts';
import { useStoreVersion, useUsersVersion } from '../../hooks/use-store.ts';
import { conversationTitle, shortWhen, unreadLabel } from '../../lib/format.ts';
import { conversationPath, navigate } from '../../lib/router.ts';
import { PresenceDot } from '../presence/presence-dot.tsx';
import { previewWithFiles } from '../media/files-label.ts';
import { ArchivedToggle } from '../inbox/archived-toggle.tsx';
import { ConversationMenu } from '../inbox/conversation-menu.tsx';

/** Every conversation, pinned first, then most recently active, live; archived ones behind a toggle. */
export function ConversationList({ selectedId, onNewChat }: { selectedId: string | null; onNewChat(): void }) {
  const { client, users } = useApp();
  useStoreVersion(client, null);
  useUsersVersion(users);
  const [filter, setFilter] = useState<Extract<ListFilter, 'inbox' | 'archived'>>('inbox');
  const list = client.store.list(filter);
  const archived = filter === 'archived' ? list.length : client.store.list('archived').length;
  const toggle = <ArchivedToggle showing={filter === 'archived'} count={archived} onToggle={() => setFilter(filter === 'archived' ? 'inbox' : 'archived')} />;
  if (list.length === 0 && filter === 'inbox' && archived === 0) {
    return (
      <div className="empty-list">
        <p className="empty-title">No conversations yet</p>
        <p>Find someone by their handle, or create a group.</p>
        <button type="button" className="button" onClick={onNewChat}>
          Start a conversation
        </button>
      </div>
    );
  }
  return (
    <nav className="conversation-list" aria-label="Conversation list">
      {toggle}
      <ul>
        {list.map((state) => (
          <li key={state.summary.id} className="conversation-row">
            <ConversationItem state={state} selected={state.summary.id === selectedId} preview={previewOf(state, client.me?.id ?? null, (id) => users.name(id))} />
            <ConversationMenu summary={state.summary} />
          </li>
        ))}
      </ul>
    </nav>
  );
}

function previewOf(state: ConversationState, meId: string | null, nameOf: (id: string) => string): string {
  const message = state.summary.lastMessage;
  if (!message) return state.summary.kind === 'direct' ? 'No messages yet — say hello' : 'No messages yet';
  const text = message.deletedAt !== null || message.text === null ? 'Message deleted' : previewWithFiles(message.text, message.attachments);
  if (message.senderId === meId) return `You: ${text}`;
  if (state.summary.kind !== 'direct') return `${nameOf(message.senderId)}: ${text}`;
  return text;
}

/** Not memoized: the SDK store updates summaries in place. */
function ConversationItem({ state, selected, preview }: { state: ConversationState; selected: boolean; preview: string }) {
  const summary = state.summary;
  const title = conversationTitle(summary);
  const unread = summary.unreadCount;
  const prefs = prefsOf(summary);
  const avatarId = summary.kind === 'direct' && summary.peer ? summary.peer.id : summary.id;
  const path = conversationPath(summary.id);
  return (
    <a
      href={path}
      className={`conversation-item${selected ? ' selected' : ''}${unread > 0 || prefs.markedUnread ? ' has-unread' : ''}`}
      aria-current={selected ? 'page' : undefined}
      data-conversation-id={summary.id}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(path);
      }}
    >
      <Avatar id={avatarId} name={title} picture={summary.kind === 'direct' ? summary.peer?.avatarId : summary.photoId} badge={summary.kind === 'direct' && summary.peer ? <PresenceDot userId={summary.peer.id} /> : null} />
      <span className="conversation-text">
        <span className="conversation-top">
          <span className="conversation-title">
            {summary.kind !== 'direct' && <span className="kind-mark">{summary.kind === 'channel' ? <ChannelIcon /> : <GroupIcon />}</span>}
            {title}
          </span>
          {prefs.pinnedAt !== null && (
            <span className="pinned-mark" role="img" aria-label="Pinned" title="Pinned">
              <PinIcon />
            </span>
          )}
          <time className="conversation-when" dateTime={summary.lastActivityAt}>
            {shortWhen(summary.lastActivityAt)}
          </time>
        </span>
        <span className="conversation-bottom">
          <span className="conversation-preview">{preview}</span>
          {unread > 0 && (
            <span className="unread-badge" aria-label={`${unread} unread ${unread === 1 ? 'message' : 'messages'}`} data-unread={unread}>
              {unreadLabel(unread)}
            </span>
          )}
          {unread === 0 && prefs.markedUnread && <span className="unread-badge marked-unread" role="img" aria-label="Marked unread" />}
        </span>
      </span>
    </a>
  );
}
