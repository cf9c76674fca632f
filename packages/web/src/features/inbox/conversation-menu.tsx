import './inbox.css';
import { prefsOf } from '@parley/sdk';
import type { Conversation } from '@parley/protocol';
import { useId, useRef, useState } from 'react';
import { MoreIcon } from '../../components/icons.tsx';
import { useNotify } from '../../components/toasts.tsx';
import { useApp } from '../../hooks/context.ts';
import { usePopupNavigation } from '../../hooks/use-popup-navigation.ts';
import { describeError } from '../../lib/errors.ts';
import { conversationTitle } from '../../lib/format.ts';

/**
 * A row's "…" in the conversation list: pin, archive, mark unread or read — your own view,
 * which the server records in your user log so every device you use follows.
 * A sibling of the row's link (a button inside a link is not allowed), one tab stop.
 */
export function ConversationMenu({ summary }: { summary: Conversation }) {
  const { client } = useApp();
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const prefs = prefsOf(summary);
  const unread = prefs.markedUnread || summary.unreadCount > 0;

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const onKeyDown = usePopupNavigation(menu, { open, items: '[role="menuitem"]', orientation: 'vertical', close, ignorePress: (target) => !!button.current?.contains(target) });
  const act = (what: string, change: () => Promise<unknown>) => () => {
    close(true);
    change().catch((error: unknown) => notify(`Could not ${what}: ${describeError(error)}`));
  };

  const id = summary.id;
  return (
    <div className="conversation-actions">
      <button
        ref={button}
        type="button"
        className="icon-button conversation-menu-button"
        aria-label={`Actions for ${conversationTitle(summary)}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((value) => !value)}
      >
        <MoreIcon />
      </button>
      {open && (
        <div ref={menu} id={menuId} className="menu" role="menu" aria-label="Conversation actions" onKeyDown={onKeyDown}>
          <button type="button" role="menuitem" onClick={act('pin', () => client.pinConversation(id, prefs.pinnedAt === null))}>
            {prefs.pinnedAt === null ? 'Pin' : 'Unpin'}
          </button>
          <button type="button" role="menuitem" onClick={act('archive', () => client.archiveConversation(id, !prefs.archived))}>
            {prefs.archived ? 'Unarchive' : 'Archive'}
          </button>
          <button
            type="button"
            role="menuitem"
            // Reading takes the mark off too; "read" also clears a mark set on another device.
            onClick={act('mark', () => (unread ? client.markRead(id) : client.markUnread(id)))}
          >
            {unread ? 'Mark as read' : 'Mark as unread'}
          </button>
        </div>
      )}
    </div>
  );
}
