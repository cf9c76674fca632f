import { useEffect, useRef, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { JoinByHandle } from '../joining/join-by-handle.tsx';
import { PeopleSearch } from '../search/people-search.tsx';
import { DirectChatForm } from './direct-chat-form.tsx';
import { NewChannelForm } from './new-channel-form.tsx';
import { NewGroupForm } from './new-group-form.tsx';

type Mode = 'direct' | 'group';

/**
 * Start a direct conversation with someone by handle, create a group or a channel, or join a
 * public one. `onOpened` is called once the dialog has closed, so the conversation opens (and
 * its composer takes focus) after the browser has given focus back to the "New chat" button.
 */
export function NewChatDialog({ open, onClose, onOpened }: { open: boolean; onClose(): void; onOpened(conversationId: string): void }) {
  const [mode, setMode] = useState<Mode>('direct');
  const opened = useRef<string | null>(null);
  const openAfterClose = (conversationId: string) => {
    opened.current = conversationId;
    onClose();
  };
  const closed = () => {
    const conversationId = opened.current;
    opened.current = null;
    if (conversationId) onOpened(conversationId);
  };
  useEffect(() => {
    if (open) setMode('direct');
  }, [open]);
  return (
    <Dialog title="New conversation" open={open} onClose={onClose} onClosed={closed}>
      <div className="segmented" role="group" aria-label="Kind of conversation">
        <button type="button" aria-pressed={mode === 'direct'} className={mode === 'direct' ? 'active' : ''} onClick={() => setMode('direct')}>
          Direct message
        </button>
        <button type="button" aria-pressed={mode === 'group'} className={mode === 'group' ? 'active' : ''} onClick={() => setMode('group')}>
          New group
        </button>
      </div>
      {mode === 'direct' ? (
        <>
          <DirectChatForm onOpened={openAfterClose} />
          <PeopleSearch onOpened={openAfterClose} />
        </>
      ) : (
        <NewGroupForm onOpened={openAfterClose} />
      )}
      <NewChannelForm onCreated={openAfterClose} />
      <JoinByHandle onJoined={openAfterClose} />
    </Dialog>
  );
}
