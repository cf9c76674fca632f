import { useEffect, useId, useRef, useState } from 'react';
import { Avatar } from '../../components/avatar.tsx';
import { Dialog } from '../../components/dialog.tsx';
import { useApp } from '../../hooks/context.ts';
import { conversationTitle, handleOf } from '../../lib/format.ts';
import { conversationPath, navigate } from '../../lib/router.ts';
import './conversations.css';

/** At most this many matches are listed. */
const MAX_RESULTS = 12;

/**
 * Ctrl+K (⌘K on a Mac): type part of a name, title or handle, pick with the arrows and
 * Enter. Searches the conversations this page has loaded, most recently active first.
 */
export function QuickSwitcher({ open, onClose }: { open: boolean; onClose(): void }) {
  const { client } = useApp();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  // Emptied as it closes, not as it opens: opened with the last query still in the field
  // until the reset rendered, an Escape pressed at once only cleared the search field (its
  // own use of the key) instead of closing the switcher.
  useEffect(() => {
    if (!open) {
      setQuery('');
      setActive(0);
      return;
    }
    queueMicrotask(() => input.current?.focus());
  }, [open]);

  const needle = query.trim().toLowerCase().replace(/^@/u, '');
  const matches = client.store
    .list()
    .filter((state) => {
      if (!needle) return true;
      const summary = state.summary;
      const handle = summary.kind === 'direct' ? summary.peer?.handle : summary.handle;
      return conversationTitle(summary).toLowerCase().includes(needle) || (handle ?? '').toLowerCase().includes(needle);
    })
    .slice(0, MAX_RESULTS);
  const go = (id: string) => {
    onClose();
    navigate(conversationPath(id));
  };

  return (
    <Dialog title="Go to conversation" open={open} onClose={onClose}>
      <input
        ref={input}
        className="switcher-input"
        type="search"
        role="combobox"
        aria-label="Conversation name"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={matches[active] ? `${listId}-${matches[active].summary.id}` : undefined}
        placeholder="Type a name…"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setActive(0);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            if (matches.length > 0) setActive((index) => (index + (event.key === 'ArrowDown' ? 1 : -1) + matches.length) % matches.length);
          } else if (event.key === 'Enter') {
            event.preventDefault();
            const chosen = matches[active];
            if (chosen) go(chosen.summary.id);
          }
        }}
      />
      {matches.length === 0 ? (
        <p className="list-status">No conversation matches.</p>
      ) : (
        <ul id={listId} className="switcher-list" role="listbox" aria-label="Conversations">
          {matches.map((state, index) => {
            const summary = state.summary;
            const title = conversationTitle(summary);
            const handle = summary.kind === 'direct' ? handleOf(summary.peer) : summary.handle ? `@${summary.handle}` : null;
            return (
              <li
                key={summary.id}
                id={`${listId}-${summary.id}`}
                role="option"
                aria-selected={index === active}
                className={`switcher-option${index === active ? ' active' : ''}`}
                onMouseMove={() => setActive(index)}
                onClick={() => go(summary.id)}
              >
                <Avatar id={summary.kind === 'direct' && summary.peer ? summary.peer.id : summary.id} name={title} size="sm" picture={summary.kind === 'direct' ? summary.peer?.avatarId : summary.photoId} />
                <span className="switcher-title">{title}</span>
                {handle && <span className="muted">{handle}</span>}
              </li>
            );
          })}
        </ul>
      )}
    </Dialog>
  );
}
