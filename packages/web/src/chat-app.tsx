import { useEffect, useState } from 'react';
import { Avatar } from './components/avatar.tsx';
import { ChatsIcon, ComposeIcon, SettingsIcon } from './components/icons.tsx';
import { CallsLayer } from './features/calls/calls-layer.tsx';
import { ConnectionBanner } from './features/connection/connection-banner.tsx';
import { ConversationList } from './features/conversations/conversation-list.tsx';
import { ConversationView } from './features/conversations/conversation-view.tsx';
import { NewChatDialog } from './features/conversations/new-chat-dialog.tsx';
import { QuickSwitcher } from './features/conversations/quick-switcher.tsx';
import { useDepartures } from './features/conversations/use-departures.ts';
import { useDesktopNotifications } from './features/notifications/use-desktop-notifications.ts';
import { InvitationPage } from './features/joining/invitation-page.tsx';
import { FileUrlsProvider } from './features/media/use-file-url.ts';
import { MessageSearch } from './features/search/message-search.tsx';
import { SettingsDialog } from './features/settings/settings-dialog.tsx';
import { useApp } from './hooks/context.ts';
import { SearchIcon } from './features/search/search-icon.tsx';
import { useReconnectWhenOnline } from './hooks/use-browser.ts';
import { useRoute } from './hooks/use-route.ts';
import { useClientStatus, useStoreVersion } from './hooks/use-store.ts';
import { conversationPath, navigate } from './lib/router.ts';

/**
 * The signed-in app: conversation list beside the open conversation on wide screens;
 * one of the two at a time on phones (the URL decides which).
 */
export function ChatApp() {
  return (
    <FileUrlsProvider>
      <CallsLayer>
        <ChatLayout />
      </CallsLayer>
    </FileUrlsProvider>
  );
}

function ChatLayout() {
  const { client, users } = useApp();
  const route = useRoute();
  useStoreVersion(client, null);
  useDesktopNotifications(client, users);
  useReconnectWhenOnline(client);
  const status = useClientStatus(client);
  const [dialog, setDialog] = useState<'new-chat' | 'settings' | 'switcher' | 'search' | null>(null);
  // Ctrl+K (⌘K on a Mac) opens the quick switcher from anywhere, the composer included.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        setDialog((open) => (open === null || open === 'switcher' ? 'switcher' : open));
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  const departures = useDepartures(client);

  // Total unread in the tab title, so a background tab shows that something arrived.
  const total = client.store.totalUnread();
  useEffect(() => {
    document.title = total > 0 ? `(${total}) Parley` : 'Parley';
  }, [total]);

  const me = client.me;
  const openId = route.name === 'conversation' ? route.id : null;
  return (
    <div className="app" data-view={openId ? 'conversation' : 'list'} data-connection={status}>
      <ConnectionBanner client={client} />
      <aside className="sidebar" aria-label="Conversations">
        <header className="sidebar-header">
          <button type="button" className="me-button" aria-label="Settings and profile" onClick={() => setDialog('settings')}>
            {me && <Avatar id={me.id} name={me.displayName} size="sm" picture={me.avatarId} />}
            <span className="me-name">{me?.displayName}</span>
            <SettingsIcon />
          </button>
          <button type="button" className="button search-button" aria-label="Search messages" title="Search messages" onClick={() => setDialog('search')}>
            <SearchIcon />
          </button>
          <button type="button" className="button button-primary new-chat-button" aria-label="New chat" onClick={() => setDialog('new-chat')}>
            <ComposeIcon />
            <span>New chat</span>
          </button>
        </header>
        <ConversationList selectedId={openId} onNewChat={() => setDialog('new-chat')} />
      </aside>
      <main className="main">
        {route.name === 'join' ? (
          <InvitationPage key={route.code} code={route.code} onJoined={(id) => navigate(conversationPath(id), { replace: true })} />
        ) : openId ? (
          <ConversationView key={openId} conversationId={openId} departure={departures.get(openId) ?? null} />
        ) : (
          <div className="empty-main">
            <div className="empty-illustration">
              <ChatsIcon />
            </div>
            <h2>Pick a conversation</h2>
            <p>Choose one from the list, or start a new one with someone’s handle.</p>
            <button type="button" className="button button-primary" onClick={() => setDialog('new-chat')}>
              Start a conversation
            </button>
          </div>
        )}
      </main>
      <NewChatDialog
        open={dialog === 'new-chat'}
        onClose={() => setDialog(null)}
        onOpened={(id) => navigate(conversationPath(id))}
      />
      <SettingsDialog open={dialog === 'settings'} onClose={() => setDialog(null)} />
      <QuickSwitcher open={dialog === 'switcher'} onClose={() => setDialog(null)} />
      <MessageSearch open={dialog === 'search'} onClose={() => setDialog(null)} />
    </div>
  );
}
