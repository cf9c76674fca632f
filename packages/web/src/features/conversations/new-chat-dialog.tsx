import { useEffect, useState } from 'react';
import { Dialog } from '../../components/dialog.tsx';
import { JoinByHandle } from '../joining/join-by-handle.tsx';
import { DirectChatForm } from './direct-chat-form.tsx';
import { NewChannelForm } from './new-channel-form.tsx';
import { NewGroupForm } from './new-group-form.tsx';

type Mode = 'direct' | 'group';

/** Start a direct conversation with someone by handle, create a group or a channel, or join a public one. */
export function NewChatDialog({ open, onClose, onOpened }: { open: boolean; onClose(): void; onOpened(conversationId: string): void }) {
  const [mode, setMode] = useState<Mode>('direct');
  useEffect(() => {
    if (open) setMode('direct');
  }, [open]);
  return (
    <Dialog title="New conversation" open={open} onClose={onClose}>
      <div className="segmented" role="group" aria-label="Kind of conversation">
        <button type="button" aria-pressed={mode === 'direct'} className={mode === 'direct' ? 'active' : ''} onClick={() => setMode('direct')}>
          Direct message
        </button>
        <button type="button" aria-pressed={mode === 'group'} className={mode === 'group' ? 'active' : ''} onClick={() => setMode('group')}>
          New group
        </button>
      </div>
      {mode === 'direct' ? <DirectChatForm onOpened={onOpened} /> : <NewGroupForm onOpened={onOpened} />}
      <NewChannelForm onCreated={onOpened} />
      <JoinByHandle onJoined={onOpened} />
    </Dialog>
  );
}
